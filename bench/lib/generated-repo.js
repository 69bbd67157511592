// What the git benches share: their flags, git's environment and a generated repo.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { URL } from 'node:url';

/** The value after `name` on the command line, else `fallback`. */
export function arg(name, fallback) {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
}

/** Runs `script` again as a child with `args`; resolves with it and its first IPC message. */
export async function child(script, args) {
  const proc = spawn(process.execPath, [new URL(script).pathname, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(proc, 'message');
  return { proc, message };
}

/** git's environment for a bench: no system or user config but `home`'s, no prompts. */
export function gitEnv(home) {
  return {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'bench@hangar.test',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'bench@hangar.test',
  };
}

/**
 * A bare repo of about `sizeMb` of text files (base64 of random bytes: about as
 * compressible as code) in 20 commits at `root`/upstream/bench.git, packed in one pack;
 * answers the pack's size in bytes.
 */
export function generateRepo(root, home, sizeMb, filesPerCommit) {
  const work = join(root, 'work');
  const bare = join(root, 'upstream', 'bench.git');
  const env = gitEnv(home);
  const git = (args, cwd = root) => execFileSync('git', args, { cwd, env, stdio: 'pipe' });
  git(['init', '-q', '-b', 'main', work]);
  const commits = 20;
  const fileBytes = Math.round(((sizeMb * 1024 * 1024) / (commits * filesPerCommit)) * 1.33);
  for (let c = 0; c < commits; c++) {
    mkdirSync(join(work, `src${c}`), { recursive: true });
    for (let f = 0; f < filesPerCommit; f++) {
      const text = randomBytes(Math.ceil(fileBytes * 0.75))
        .toString('base64')
        .replace(/(.{76})/g, '$1\n');
      writeFileSync(join(work, `src${c}`, `file${f}.txt`), text);
    }
    git(['add', '.'], work);
    git(['commit', '-q', '-m', `commit ${c}`], work);
  }
  git(['clone', '-q', '--bare', work, bare]);
  git(['repack', '-a', '-d', '-q'], bare);
  rmSync(work, { recursive: true, force: true });
  const packDir = join(bare, 'objects', 'pack');
  return readdirSync(packDir)
    .filter((name) => name.endsWith('.pack'))
    .reduce((sum, name) => sum + statSync(join(packDir, name)).size, 0);
}
