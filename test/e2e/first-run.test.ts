import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testAgentsDir } from './agents.js';

/**
 * A newcomer's first run, as the README tells it, on a fresh clone with a fresh HOME:
 * the start command, logging in, the key-free demo twice, then `hangar tasks` and
 * `hangar teleport` from the demo's repository. The commands are read from the README,
 * so it cannot drift from what is tested.
 */

const checkout = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(checkout, 'README.md'), 'utf8');

/** The shell code blocks of the README section headed `title`, in order. */
function shellBlocks(title: string): string[] {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README has a section "${title}"`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]?.trim() ?? '');
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

let root: string;
let clone: string;
let env: NodeJS.ProcessEnv;
let server: ChildProcess | undefined;

/** Runs `script` with bash as the user would paste it, in `cwd`. */
function sh(script: string, cwd: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hangar-first-run-'));
  clone = join(root, 'hangar');
  execFileSync('git', ['clone', '-q', checkout, clone]);
  // The installed packages of this checkout: setup runs `npm ci` only if they differ
  // from what the clone's lock file pins.
  symlinkSync(realpathSync(join(checkout, 'node_modules')), join(clone, 'node_modules'));
  const bin = join(root, 'bin');
  mkdirSync(bin);
  mkdirSync(join(root, 'home'));
  env = {
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    HOME: join(root, 'home'),
    TMPDIR: root,
    // Where setup links `hangar` (not this machine's /usr/local/bin).
    HANGAR_BIN_DIR: bin,
    // The README's server on a free port, and Claude Code's one install for tests.
    HANGAR_PORT: '0',
    HANGAR_AGENTS_DIR: testAgentsDir(),
    ...Object.fromEntries(
      ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR'].flatMap((key) =>
        process.env[key] === undefined ? [] : [[key, process.env[key]]],
      ),
    ),
  };
});

afterAll(async () => {
  if (existsSync(join(clone, 'scripts', 'demo'))) await sh('scripts/demo stop', clone);
  if (server?.pid !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.on('exit', resolve));
    process.kill(-server.pid, 'SIGTERM');
    await exited;
  }
});

describe('a first run from the README', { timeout: 1_200_000 }, () => {
  it('starts, logs in, runs the demo twice, lists and teleports its sessions', async () => {
    // Start it: the start command, in the background as in its own terminal.
    const [start, login] = shellBlocks('Start it');
    expect(start).toBe('scripts/start');
    server = spawn('bash', ['-c', start ?? ''], { cwd: clone, env, detached: true });
    let banner = '';
    server.stderr?.on('data', (chunk: Buffer) => (banner += chunk.toString()));
    server.stdout?.resume();
    const url = await new Promise<string>((resolve, reject) => {
      server?.stderr?.on('data', () => {
        const found = /running at (http:\/\/\S+)[\s\S]*Log in: .*\n/.exec(banner);
        if (found?.[1]) resolve(found[1]);
      });
      server?.on('exit', (code) => reject(new Error(`scripts/start exited ${code}:\n${banner}`)));
    });
    expect(banner).toMatch(/`hangar` is on the PATH/);
    expect(banner).toMatch(/^Warning: claude-code sessions are refused: .*scripts\/demo/m);

    // Then, from another terminal: log in (at the port it took) and list environments.
    expect(login).toContain('hangar login --server http://127.0.0.1:8080');
    const loggedIn = await sh(
      (login ?? '').replaceAll('http://127.0.0.1:8080', url),
      env.HOME ?? '',
    );
    expect(loggedIn.code, loggedIn.stderr).toBe(0);
    expect(loggedIn.stdout).toMatch(/^\*\s+Default\s/m);

    // The demo, twice in a row.
    const [demo] = shellBlocks('Try a session without a model key');
    expect(demo).toBe('scripts/demo');
    const runs: Ran[] = [];
    for (let i = 0; i < 2; i++) {
      const run = await sh(demo ?? '', clone);
      expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      runs.push(run);
    }
    expect(runs[1]?.stderr).toMatch(/reusing the demo's servers/);
    const printed = (run: Ran, label: string) =>
      new RegExp(`^  ${label}: +(.+)$`, 'm').exec(run.stdout)?.[1]?.trim() ?? '';
    const [first, second] = runs.map((run) => /Started session (ses_\w+)/.exec(run.stdout)?.[1]);
    expect(first).toBeTruthy();
    expect(second).not.toBe(first);

    // `hangar tasks` from the demo repository lists both sessions, ready for a reply.
    const tasks = await sh(printed(runs[1] as Ran, 'sessions'), clone);
    expect(tasks.code, tasks.stderr).toBe(0);
    for (const id of [first, second]) expect(tasks.stdout).toMatch(new RegExp(`${id}.*idle`));

    // `hangar teleport` brings the agent's commit into it.
    const teleportLine = printed(runs[1] as Ran, 'teleport');
    expect(teleportLine).toMatch(/^cd \S+ && hangar teleport ses_\w+$/);
    const teleported = await sh(teleportLine, clone);
    expect(teleported.code, teleported.stderr).toBe(0);
    const repo = /^cd (\S+) /.exec(teleportLine)?.[1] ?? '';
    expect(readFileSync(join(repo, 'hello.txt'), 'utf8')).toBe('hello from a Hangar sandbox\n');
    expect(execFileSync('git', ['log', '-1', '--format=%s'], { cwd: repo, encoding: 'utf8' })).toBe(
      'Add hello.txt\n',
    );

    // `scripts/demo stop` gives the CLI back the login it had: the README's server.
    const stopped = await sh('scripts/demo stop', clone);
    expect(stopped.code, stopped.stderr).toBe(0);
    const back = await sh('hangar env list', clone);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^\*\s+Default\s/m);
  });
});
