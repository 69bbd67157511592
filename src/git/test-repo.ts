import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Runs git in `cwd` as a fixed identity; its output, trimmed. */
export function gitAs(cwd: string, ...args: string[]): string {
  const identity = ['-c', 'user.name=t', '-c', 'user.email=t@example.com'];
  return execFileSync('git', [...identity, ...args], { cwd, encoding: 'utf8' }).trim();
}

/** Makes `dir` a repository with an empty commit per message on main. */
export function repoWithCommits(dir: string, ...messages: string[]): void {
  mkdirSync(dir, { recursive: true });
  gitAs(dir, 'init', '-q', '-b', 'main');
  for (const message of messages) gitAs(dir, 'commit', '-q', '--allow-empty', '-m', message);
}

/** The bytes of a bundle of every ref of a one-commit repository made at `dir`. */
export function oneCommitBundle(dir: string): Buffer {
  repoWithCommits(dir, 'one');
  gitAs(dir, 'bundle', 'create', '-q', 'repo.bundle', '--all');
  return readFileSync(join(dir, 'repo.bundle'));
}
