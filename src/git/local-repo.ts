import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { MadeBundle, Rung } from './bundle-ladder.js';

/**
 * The user's own work tree, as the CLI sees it: git runs with the user's environment
 * and configuration (credential helpers, identity), unlike the server's git.
 */
export class LocalRepo {
  private constructor(readonly root: string) {}

  /** The work tree containing `cwd`, or undefined outside one. */
  static async at(cwd: string): Promise<LocalRepo | undefined> {
    const top = await git(cwd, ['rev-parse', '--show-toplevel']).catch(() => undefined);
    return top ? new LocalRepo(top) : undefined;
  }

  get name(): string {
    return basename(this.root);
  }

  run(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
    return git(this.root, args, env);
  }

  async currentBranch(): Promise<string | undefined> {
    const name = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => '');
    return name || undefined;
  }

  /** The URL of the branch's upstream remote, else `origin`'s, else undefined. */
  async remoteUrl(
    branch: string | undefined,
  ): Promise<{ remote: string; url: string } | undefined> {
    const configured = branch
      ? await this.run(['config', `branch.${branch}.remote`]).catch(() => '')
      : '';
    for (const remote of [configured, 'origin'].filter(Boolean)) {
      const url = await this.run(['remote', 'get-url', remote]).catch(() => '');
      if (url) return { remote, url };
    }
    return undefined;
  }

  async remotes(): Promise<{ name: string; url: string }[]> {
    const out = await this.run(['remote', '-v']).catch(() => '');
    const seen = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [name, url] = line.split(/\s+/);
      if (name && url && !seen.has(name)) seen.set(name, url);
    }
    return [...seen].map(([name, url]) => ({ name, url }));
  }

  /** Commits on `branch` that its upstream does not have (0 without an upstream). */
  async unpushedCount(branch: string): Promise<number> {
    const out = await this.run(['rev-list', '--count', `${branch}@{upstream}..${branch}`]).catch(
      () => '0',
    );
    return Number(out) || 0;
  }

  /** Tracked files with changes (staged or not). */
  async isDirty(): Promise<boolean> {
    return (await this.run(['status', '--porcelain', '--untracked-files=no'])) !== '';
  }

  async untrackedCount(): Promise<number> {
    const out = await this.run(['ls-files', '--others', '--exclude-standard']);
    return out.split('\n').filter(Boolean).length;
  }

  async rootCommits(rev = 'HEAD'): Promise<string[]> {
    const out = await this.run(['rev-list', '--max-parents=0', rev]).catch(() => '');
    return out.split('\n').filter(Boolean);
  }

  /**
   * The working state of tracked files as a commit on top of HEAD (or undefined when
   * there is nothing uncommitted), made from `git stash create` without touching the
   * work tree, the index or the stash list.
   */
  async workInProgressCommit(): Promise<string | undefined> {
    const stash = await this.run(['stash', 'create']);
    if (!stash) return undefined;
    return this.run(
      [
        'commit-tree',
        `${stash}^{tree}`,
        '-p',
        'HEAD',
        '-m',
        'Uncommitted changes, carried by hangar --remote',
      ],
      identity(),
    );
  }

  /** Makes the bundle of one rung of the ladder in `dir`. */
  async makeBundle(
    rung: Rung,
    dir: string,
    branch: string,
    wip: string | undefined,
  ): Promise<MadeBundle> {
    const file = join(dir, `${rung}.bundle`);
    const wipRef = `refs/heads/${wipBranch(branch)}`;
    if (wip) await this.run(['update-ref', wipRef, wip]);
    try {
      if (rung === 'squashed') {
        const tree = wip ? `${wip}^{tree}` : 'HEAD^{tree}';
        const commit = await this.run(
          ['commit-tree', tree, '-m', `Working state of ${branch}, squashed by hangar --remote`],
          identity(),
        );
        await this.run(['update-ref', wipRef, commit]);
        await this.run(['bundle', 'create', '--quiet', file, wipRef]);
      } else {
        // --branches already takes the work-in-progress ref with it.
        const refs =
          rung === 'all-branches'
            ? ['--branches']
            : [`refs/heads/${branch}`, ...(wip ? [wipRef] : [])];
        await this.run(['bundle', 'create', '--quiet', file, ...refs]);
      }
    } finally {
      await this.run(['update-ref', '-d', wipRef]).catch(() => undefined);
    }
    return { file, size: statSync(file).size };
  }
}

/** The branch a bundle carries the uncommitted work (or the squashed state) on. */
export function wipBranch(branch: string): string {
  return `hangar-wip/${branch}`;
}

/** An identity for commits the CLI makes itself, when the user has none configured. */
function identity(): NodeJS.ProcessEnv {
  return {
    GIT_AUTHOR_NAME: process.env.GIT_AUTHOR_NAME ?? 'hangar',
    GIT_AUTHOR_EMAIL: process.env.GIT_AUTHOR_EMAIL ?? 'hangar@localhost',
    GIT_COMMITTER_NAME: process.env.GIT_COMMITTER_NAME ?? 'hangar',
    GIT_COMMITTER_EMAIL: process.env.GIT_COMMITTER_EMAIL ?? 'hangar@localhost',
  };
}

function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(stderr.trim() || error.message));
        else resolve(stdout.trim());
      },
    );
  });
}
