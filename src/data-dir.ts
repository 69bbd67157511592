import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where things live inside the data dir (HANGAR_DATA_DIR). Every module that reads or
 * writes a path under it asks here, so the layout is written down once. It loads no
 * server code: the CLI finds the local admin token through it.
 */

/** The data dir: HANGAR_DATA_DIR, else `~/.hangar`. */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return resolve(env.HANGAR_DATA_DIR || join(homedir(), '.hangar'));
}

/** The admin token's file name in the data dir, written on the first start (mode 0600). */
export const ADMIN_TOKEN_FILE = 'admin-token';

/** The embedded PGlite store (when DATABASE_URL is not set). */
export function storeDir(dataDir: string): string {
  return join(dataDir, 'db');
}

/** Where agent CLIs are installed when HANGAR_AGENTS_DIR is not set. */
export function defaultAgentsDir(dataDir: string): string {
  return join(dataDir, 'agents');
}

/** Uploaded git bundles. */
export function bundleDir(dataDir: string): string {
  return join(dataDir, 'bundles');
}

/** One uploaded bundle. */
export function bundlePath(dataDir: string, id: string): string {
  return join(bundleDir(dataDir), `${id}.bundle`);
}

/** What the server keeps of one session on the host; removed with the session. */
export function sessionDir(dataDir: string, sessionId: string): string {
  return join(dataDir, 'sessions', sessionId);
}

/** The bare repo of a bundle-sourced session, which its branch is pushed to. */
export function sessionBareRepo(dataDir: string, sessionId: string): string {
  return join(sessionDir(dataDir, sessionId), 'repo.git');
}

/** The copy of the agent's conversation (JSONL) saved after each turn, for teleport. */
export function conversationFile(dataDir: string, sessionId: string): string {
  return join(sessionDir(dataDir, sessionId), 'conversation.jsonl');
}

/** The unix socket a session's sandbox reaches its gateway on. */
export function gatewaySocketPath(dataDir: string, sessionId: string): string {
  return join(sessionDir(dataDir, sessionId), 'gateway.sock');
}

/**
 * Where an API node keeps read-only copies of a bundle-sourced session's repo, made
 * from the store for teleport when the session's runner is another host.
 */
export function keptRepoCopies(dataDir: string, sessionId: string): string {
  return join(dataDir, 'kept-repos', sessionId);
}
