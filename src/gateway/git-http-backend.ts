import { spawn } from 'node:child_process';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import {
  configEnv,
  limitedGitArgs,
  pushConfig,
  type GitProcessLimits,
} from '../git/repo-limits.js';

/** One smart-HTTP request to run through `git http-backend` (a CGI program). */
export interface BackendRequest {
  /** The directory holding the repositories (GIT_PROJECT_ROOT). */
  projectRoot: string;
  /** `/<repo>.git/info/refs` and the like, below projectRoot. */
  pathInfo: string;
  method: string;
  /** Without the leading `?`. */
  query: string;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Sets REMOTE_USER; http-backend then allows receive-pack. */
  remoteUser?: string;
  /** The git binary (default `git` on PATH). */
  git?: string;
  /** For a repo Hangar keeps: the rlimits http-backend runs under, and the largest push. */
  limits?: { process: GitProcessLimits; maxPushBytes?: number };
  /** Git config for this run (passed as GIT_CONFIG_COUNT variables). */
  config?: readonly (readonly [string, string])[];
}

/**
 * Runs `git http-backend` for one request and streams its answer into `res`. Used for
 * bare repos Hangar keeps (bundle-sourced sessions) and as the upstream in tests.
 */
export function runHttpBackend(request: BackendRequest, res: ServerResponse): void {
  const { headers } = request;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: request.projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: request.pathInfo,
    REQUEST_METHOD: request.method,
    QUERY_STRING: request.query,
    REMOTE_ADDR: '127.0.0.1',
    // Our own repos: don't let a system or global config change how they are served.
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  if (headers['content-type']) env.CONTENT_TYPE = headers['content-type'];
  if (headers['content-length']) env.CONTENT_LENGTH = headers['content-length'];
  if (headers['content-encoding']) env.HTTP_CONTENT_ENCODING = headers['content-encoding'];
  const protocol = headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;
  if (request.remoteUser) env.REMOTE_USER = request.remoteUser;
  const { limits } = request;
  const config = [
    ...(limits?.maxPushBytes === undefined ? [] : pushConfig(limits.maxPushBytes)),
    ...(request.config ?? []),
  ];
  if (config.length > 0) Object.assign(env, configEnv(config));

  const git = request.git ?? 'git';
  const child = limits
    ? spawn('sh', limitedGitArgs(['http-backend'], limits.process, git), {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
      })
    : spawn(git, ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  child.stdin.on('error', () => undefined);
  request.body.pipe(child.stdin);
  res.on('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  let head = Buffer.alloc(0);
  const onHead = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (!end) {
      if (head.length > 64 * 1024) child.kill('SIGKILL');
      return;
    }
    child.stdout.off('data', onHead);
    const { status, fields } = parseCgiHeaders(head.subarray(0, end.at).toString('latin1'));
    res.writeHead(status, fields);
    const rest = head.subarray(end.at + end.length);
    if (rest.length > 0) res.write(rest);
    child.stdout.pipe(res);
  };
  child.stdout.on('data', onHead);
  child.on('close', (code) => {
    if (res.headersSent) return;
    const text = `git http-backend failed (exit ${String(code)}): ${stderr.trim()}\n`;
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  });
  child.on('error', (error) => {
    if (res.headersSent) return res.destroy();
    res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`git http-backend could not start: ${error.message}\n`);
  });
}

function headerEnd(buffer: Buffer): { at: number; length: number } | null {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  return lf === -1 ? null : { at: lf, length: 2 };
}

function parseCgiHeaders(text: string): { status: number; fields: Record<string, string> } {
  let status = 200;
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 500;
    else fields[name] = value;
  }
  return { status, fields };
}
