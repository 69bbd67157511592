import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/store.js';

/** The built CLI, as a user runs it after `scripts/setup`. */
export const HANGAR_BIN = new URL('../../bin/hangar.js', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a machine trusts for TLS: kept, so a first agent install can reach the registry. */
const TLS_TRUST = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'] as const;

/** A clean environment: its own HOME and data dir, nothing inherited that could leak in. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = mkdtempSync(join(tmpdir(), 'hangar-e2e-'));
  const trust = Object.fromEntries(
    TLS_TRUST.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]]),
  );
  return {
    PATH: process.env.PATH,
    ...trust,
    HOME: join(root, 'home'),
    HANGAR_DATA_DIR: join(root, 'data'),
    ...extra,
  };
}

/** Runs `hangar ARGS…` to completion. */
export function runHangar(
  args: string[],
  env: NodeJS.ProcessEnv,
  stdin?: string,
  cwd?: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(HANGAR_BIN, args, { env, stdio: 'pipe', cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin ?? '');
  });
}

/** A long-running `hangar` process (`serve`, `runner`). */
export interface HangarProcess {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Sends `signal` (default SIGTERM) and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface Serving extends HangarProcess {
  url: string;
}

/** Starts `hangar serve` (with `args`, e.g. `--no-runner`) on a free port and waits until it prints its URL. */
export async function startServe(env: NodeJS.ProcessEnv, args: string[] = []): Promise<Serving> {
  await seedStore(env);
  // The banner's last line names the URL again: wait for all of it.
  const { match, ...started } = await startHangar(
    ['serve', '--port', '0', ...args],
    env,
    /running at (http:\/\/\S+)[\s\S]*Log in: .*\n/,
    30_000,
  );
  return { url: match[1] ?? '', ...started };
}

/**
 * Starts `hangar ARGS…` with `env` and waits until its stderr matches `banner` (answered
 * with the match); fails with its stderr if it exits first or is not up in `timeoutMs`.
 */
export function startHangar(
  args: string[],
  env: NodeJS.ProcessEnv,
  banner: RegExp,
  timeoutMs: number,
): Promise<HangarProcess & { match: RegExpExecArray }> {
  const child = spawn(process.execPath, [HANGAR_BIN, ...args], { env, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const what = `hangar ${args[0] ?? ''}`;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start:\n${stderr}`));
    }, timeoutMs);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = banner.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        match,
        child,
        output: () => ({ stdout, stderr }),
        stop: (signal = 'SIGTERM') => {
          child.kill(signal);
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${stderr}`));
    });
  });
}

/**
 * Gives a new data dir a copy of an empty, migrated PGlite store instead of letting
 * `hangar serve` create one: PGlite's first create is CPU-bound (≈ 4 s alone, 20 s on a
 * loaded 2-core machine, where it ran past start-up deadlines), a copy takes about a
 * second. The server still opens, migrates and bootstraps it as on any first start.
 */
async function seedStore(env: NodeJS.ProcessEnv): Promise<void> {
  const dataDir = env.HANGAR_DATA_DIR;
  if (env.DATABASE_URL || !dataDir || existsSync(join(dataDir, 'db'))) return;
  const template = await storeTemplate();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  cpSync(template, join(dataDir, 'db'), { recursive: true });
}

let template: Promise<string> | undefined;

/** The empty, migrated store, made once per machine for these migrations and this PGlite. */
function storeTemplate(): Promise<string> {
  template ??= (async () => {
    const migrations = fileURLToPath(new URL('../../drizzle/', import.meta.url));
    const pglite = new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url);
    const hash = createHash('sha256').update(readFileSync(pglite));
    for (const name of readdirSync(migrations, { recursive: true }).map(String).sort()) {
      if (name.endsWith('.sql') || name.endsWith('.json')) {
        hash.update(name).update(readFileSync(join(migrations, name)));
      }
    }
    const dir = join(tmpdir(), `hangar-test-store-${hash.digest('hex').slice(0, 16)}`);
    if (existsSync(dir)) return dir;
    // Made aside and renamed, so a test in another process never copies half a store.
    const making = mkdtempSync(`${dir}.making-`);
    const store = await openStore({ pgliteDir: join(making, 'db') });
    await store.close();
    try {
      renameSync(join(making, 'db'), dir);
    } catch (error) {
      // Another process made it first.
      if (!existsSync(dir)) throw error;
    }
    rmSync(making, { recursive: true, force: true });
    return dir;
  })();
  return template;
}
