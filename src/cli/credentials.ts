import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ADMIN_TOKEN_FILE, dataDirFrom } from '../data-dir.js';
import { CliError } from './errors.js';

export interface Credentials {
  server: string;
  token: string;
  /** Where they came from, for messages: `environment`, the config file, or the admin token. */
  source: string;
}

/** The file `hangar login` writes. */
interface ConfigFile {
  server: string;
  token: string;
}

/** `~/.config/hangar/config.json` (or under XDG_CONFIG_HOME). */
export function configPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'hangar', 'config.json');
}

export function saveCredentials(env: NodeJS.ProcessEnv, server: string, token: string): string {
  const file = configPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify({ server, token }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

export function removeCredentials(env: NodeJS.ProcessEnv): boolean {
  const file = configPath(env);
  const existed = readConfig(file) !== undefined;
  rmSync(file, { force: true });
  return existed;
}

/**
 * Which server and token to use: HANGAR_SERVER / HANGAR_TOKEN override the file that
 * `hangar login` wrote; on the server's own machine, with neither, the local server
 * and its admin token.
 */
export function resolveCredentials(env: NodeJS.ProcessEnv): Credentials {
  const file = configPath(env);
  const saved = readConfig(file);
  const server = env.HANGAR_SERVER || saved?.server;
  const token = env.HANGAR_TOKEN || saved?.token;
  if (server && token) {
    const source = env.HANGAR_SERVER || env.HANGAR_TOKEN ? 'environment' : file;
    return { server: normalizeServerUrl(server), token, source };
  }
  const local = readLocalAdminToken(env);
  if (local && !server) {
    const port = env.HANGAR_PORT || '8080';
    return { server: `http://127.0.0.1:${port}`, token: token ?? local.token, source: local.file };
  }
  throw new CliError('Not logged in to a Hangar server.', [
    'Run `hangar login --server URL --token TOKEN`, or set HANGAR_SERVER and HANGAR_TOKEN.',
  ]);
}

/** Accepts `host:port` or a URL; returns the origin without a trailing slash. */
export function normalizeServerUrl(raw: string): string {
  const withScheme = /^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`"${raw}" is not a server URL: expected e.g. http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`"${raw}" is not an http(s) URL.`);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

function readConfig(file: string): ConfigFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = parseConfig(JSON.parse(text));
    if (parsed) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new CliError(`${file} is not a valid Hangar config file.`, [
    'Run `hangar login` again to rewrite it.',
  ]);
}

/**
 * Two strings, checked by hand: zod here would be the largest module every command
 * loads (≈ 0.1–0.4 s of each start, most of `hangar env list`), for two fields.
 */
function parseConfig(value: unknown): ConfigFile | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { server, token } = value as Record<string, unknown>;
  return typeof server === 'string' && typeof token === 'string' ? { server, token } : undefined;
}

function readLocalAdminToken(env: NodeJS.ProcessEnv): { token: string; file: string } | undefined {
  const file = join(dataDirFrom(env), ADMIN_TOKEN_FILE);
  try {
    const token = readFileSync(file, 'utf8').trim();
    return token ? { token, file } : undefined;
  } catch {
    return undefined;
  }
}
