import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { HangarError, ValidationError } from '../errors.js';

/**
 * The few Docker Engine API calls the Docker driver makes, over the engine's unix
 * socket with node:http (no client library: JSON requests, one streamed upload and
 * one hijacked exec stream are all it takes). Version 1.41 is Docker 20.10's, which
 * Debian 12 ships; newer engines still answer it.
 */
const API = '/v1.41';

/** Bytes of an error body kept for the message. */
const ERROR_BYTES = 64 * 1024;

/** An answer from the engine that is not a success: its status and its message. */
export class DockerApiError extends HangarError {
  constructor(
    readonly engineStatus: number,
    message: string,
  ) {
    super('docker_error', engineStatus === 404 ? 404 : 503, `Docker engine: ${message}`);
  }
}

/**
 * The engine's socket from DOCKER_HOST (`unix:///path`), default /var/run/docker.sock.
 * Only a local engine will do: the driver enters its containers' network namespaces.
 */
export function dockerSocketFrom(env: NodeJS.ProcessEnv): string {
  const host = env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  if (!host.startsWith('unix://') || host.length <= 'unix://'.length) {
    throw new ValidationError(
      `"${host}" is not a unix socket: the Docker driver talks to a Docker engine on this host, e.g. DOCKER_HOST=unix:///var/run/docker.sock.`,
      'DOCKER_HOST',
    );
  }
  return host.slice('unix://'.length);
}

export class DockerApi {
  constructor(readonly socketPath: string) {}

  /** A JSON call; resolves with the parsed answer (undefined when there is no body). */
  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(
      method,
      path,
      body === undefined ? undefined : JSON.stringify(body),
    );
    const text = await readAll(res, Infinity);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }

  /** POSTs a stream (e.g. a tar for /images/create?fromSrc=-); resolves with the answer's text. */
  async upload(path: string, body: Readable): Promise<string> {
    const res = await this.send('POST', path, body);
    return readAll(res, Infinity);
  }

  /**
   * Starts an exec with the connection hijacked (HTTP Upgrade to a raw stream): its
   * stdin is what is written to the socket, its output comes back multiplexed.
   */
  hijack(path: string, body: unknown): Promise<{ socket: Socket; head: Buffer }> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method: 'POST',
        path: API + path,
        headers: {
          'Content-Type': 'application/json',
          Connection: 'Upgrade',
          Upgrade: 'tcp',
        },
      });
      req.once('upgrade', (_res, socket, head) => resolve({ socket, head }));
      req.once('response', (res) => {
        void readAll(res, ERROR_BYTES).then(
          (text) => reject(new DockerApiError(res.statusCode ?? 500, errorText(text))),
          reject,
        );
      });
      req.once('error', (error) => reject(unreachable(this.socketPath, error)));
      req.end(JSON.stringify(body));
    });
  }

  private send(
    method: string,
    path: string,
    body: string | Readable | undefined,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        socketPath: this.socketPath,
        method,
        path: API + path,
        headers:
          typeof body === 'string'
            ? { 'Content-Type': 'application/json' }
            : body
              ? { 'Content-Type': 'application/x-tar' }
              : {},
      });
      req.once('response', (res) => {
        const status = res.statusCode ?? 500;
        if (status < 300) {
          resolve(res);
          return;
        }
        void readAll(res, ERROR_BYTES).then(
          (text) => reject(new DockerApiError(status, errorText(text))),
          reject,
        );
      });
      req.once('error', (error) => reject(unreachable(this.socketPath, error)));
      if (body === undefined || typeof body === 'string') req.end(body);
      else {
        body.once('error', (error) => req.destroy(error));
        body.pipe(req);
      }
    });
  }
}

function unreachable(socket: string, error: Error): HangarError {
  return new HangarError(
    'sandbox_unavailable',
    503,
    `The Docker engine at ${socket} does not answer (${error.message}): start dockerd, or point DOCKER_HOST at its socket.`,
  );
}

/** The engine's `{"message": …}`, or the text itself. */
function errorText(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // Not JSON.
  }
  return text.trim() || 'no message';
}

function readAll(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk);
      size += chunk.length;
    });
    res.once('end', () => resolve(Buffer.concat(chunks).toString()));
    res.once('error', reject);
  });
}

/**
 * Splits Docker's multiplexed stream (8-byte frames: stream 1 stdout / 2 stderr, three
 * zero bytes, a big-endian length) to the writables. Returns a function to feed chunks.
 */
export function demultiplexer(
  stdout: Writable | undefined,
  stderr: Writable | undefined,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const payload = pending.subarray(8, 8 + size);
      const target = pending[0] === 2 ? stderr : stdout;
      if (size > 0) target?.write(Buffer.from(payload));
      pending = pending.subarray(8 + size);
    }
  };
}
