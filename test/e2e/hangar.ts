import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The built CLI, as a user runs it after `scripts/setup`. */
export const HANGAR_BIN = new URL('../../bin/hangar.js', import.meta.url).pathname;

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: its own HOME and data dir, nothing inherited that could leak in. */
export function isolatedEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const root = mkdtempSync(join(tmpdir(), 'hangar-e2e-'));
  return {
    PATH: process.env.PATH,
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

export interface Serving {
  url: string;
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `hangar serve` on a free port and waits until it prints its URL. */
export function startServe(env: NodeJS.ProcessEnv): Promise<Serving> {
  const child = spawn(process.execPath, [HANGAR_BIN, 'serve', '--port', '0'], {
    env,
    stdio: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hangar serve did not start:\n${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // The banner's last line names the URL again: wait for all of it.
      const match = /running at (http:\/\/\S+)[\s\S]*Log in: .*\n/.exec(stderr);
      if (!match?.[1]) return;
      clearTimeout(timer);
      resolve({
        url: match[1],
        child,
        output: () => ({ stdout, stderr }),
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`hangar serve exited with ${code}:\n${stderr}`));
    });
  });
}
