import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { LocalAgent } from '../../agents/agent.js';
import { localAgentFor } from '../../agents/local.js';
import { LocalRepo } from '../../git/local-repo.js';
import { isAgentSessionId, isId } from '../../ids.js';
import { ApiClient, type GetAnswer, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import { shortTime, table, type Io } from '../io.js';
import { sameRepoKey } from './remote.js';

type Session = Schemas['Session'];
type Conversation = GetAnswer<'/api/v1/sessions/{id}/conversation'>;

export function registerTeleport(program: Command, io: Io): void {
  const client = () => new ApiClient(resolveCredentials(io.env));

  program
    .command('tasks')
    .description('list your sessions; on a terminal, pick one to teleport')
    .option('--all', 'include archived sessions')
    .option('--json', 'print JSON')
    .action(async (options: { all?: boolean; json?: boolean }) => {
      const api = client();
      const sessions = await listSessions(api, options.all === true);
      if (options.json) {
        io.out(JSON.stringify(sessions, null, 2));
        return;
      }
      io.out(listing(sessions));
      if (!process.stdin.isTTY || sessions.length === 0) return;
      const chosen = await pick(sessions, 'Number to teleport (Enter to quit): ');
      if (chosen) await teleport(api, io, chosen.id, {});
    });

  program
    .command('teleport')
    .description(
      "bring a session's branch and conversation into this repository (also: hangar --teleport [ID])",
    )
    .argument('[id]', 'session id (default: pick one)')
    .option('--stash', 'stash uncommitted changes without asking')
    .option('--exec', "continue the conversation in the session's agent afterwards")
    .action(async (id: string | undefined, options: TeleportOptions) => {
      const api = client();
      let target = id;
      if (!target) {
        if (!process.stdin.isTTY)
          throw new CliError('Give a session id: hangar teleport ID (see hangar tasks).');
        const sessions = await listSessions(api, false);
        io.out(listing(sessions));
        target = (await pick(sessions, 'Number to teleport: '))?.id;
        if (!target) return;
      }
      await teleport(api, io, target, options);
    });
}

async function listSessions(api: ApiClient, archived: boolean): Promise<Session[]> {
  const query = archived ? { archived: 'true' as const } : {};
  return (await api.data(api.http.GET('/api/v1/sessions', { params: { query } }))).sessions;
}

interface TeleportOptions {
  stash?: boolean;
  exec?: boolean;
}

/**
 * Checks, each with a fix: a clean work tree, the same repository, the branch
 * reachable, and a token that may read the session. Then fetches and checks out the
 * branch and hands the conversation to the session's agent on this machine.
 */
async function teleport(
  api: ApiClient,
  io: Io,
  id: string,
  options: TeleportOptions,
): Promise<void> {
  const repo = await LocalRepo.at(process.cwd());
  if (!repo)
    throw new CliError(
      "Not inside a git work tree: cd into your clone of the session's repository.",
    );
  // The token may read it, or this answers 404 with the server's words.
  const session = await api.data(
    api.http.GET('/api/v1/sessions/{id}', { params: { path: { id } } }),
  );
  const branch = session.branch;
  if (!branch) throw new CliError(`Session ${id} has no branch yet: wait until it is running.`);
  // What the server says becomes git arguments and ref names here: check its shape first.
  if (!isId(session.id))
    throw new CliError(`The server sent a malformed session id: ${JSON.stringify(session.id)}.`);
  if (!isBranchName(branch))
    throw new CliError(`The server sent a malformed branch name: ${JSON.stringify(branch)}.`);

  if (await repo.isDirty()) {
    if (
      !options.stash &&
      !(await confirm(`Your work tree has uncommitted changes. Stash them? [y/N] `))
    ) {
      throw new CliError(
        'Your work tree has uncommitted changes: commit or stash them, or pass --stash.',
      );
    }
    await repo.run(['stash', 'push', '--quiet', '-m', `hangar teleport ${id}`]);
    io.err('Stashed your uncommitted changes (git stash list).');
  }

  const fetched =
    session.source.type === 'git'
      ? await fetchFromRemote(repo, session.source.url, branch)
      : await fetchFromHangar(repo, api, session.id, branch);
  await repo.run(['checkout', '--quiet', '-B', branch, fetched]);
  io.out(`Checked out ${branch} (${await repo.run(['rev-parse', '--short', 'HEAD'])}).`);

  const conversation = await api
    .data(api.http.GET('/api/v1/sessions/{id}/conversation', { params: { path: { id } } }))
    .catch((error: unknown) => {
      // Only "no finished turn yet" means there is nothing to hand over; any other
      // failure is said as the server said it, never hidden behind that.
      if (!(error instanceof CliError)) throw error;
      if (error.code === 'not_ready') return undefined;
      throw new CliError(
        error.message,
        [...error.lines, 'Only the branch was brought over.'],
        error.code,
      );
    });
  if (!conversation) {
    io.err('The agent has no finished turn yet: only the branch was brought over.');
    return;
  }
  if (!isAgentSessionId(conversation.agentSessionId)) {
    throw new CliError(
      `The conversation's id ${JSON.stringify(conversation.agentSessionId)} is not a UUID: it was not written (only the branch was brought over).`,
    );
  }
  const agentName = session.agent;
  const agent = localAgentFor(agentName);
  if (!agent) {
    throw new CliError(
      `This hangar does not know the agent "${agentName}": update it (only the branch was brought over).`,
    );
  }
  const file = writeConversation(io.env, repo.root, agent, conversation);
  io.out(`Conversation written to ${file}`);
  const [command = '', ...args] = agent.continueCommand(conversation.agentSessionId);
  const load = agent.importCommand?.(file);
  io.out(
    `Continue it with: ${[...(load ? [load.join(' '), '&&'] : []), command, ...args].join(' ')}`,
  );
  if (options.exec && load) {
    const [loader = '', ...loadArgs] = load;
    const loaded = spawnSync(loader, loadArgs, { stdio: 'inherit', cwd: repo.root });
    if (loaded.error) throw new CliError(`Could not run ${loader}: ${loaded.error.message}`);
    if (loaded.status !== 0) throw new CliError(`${load.join(' ')} exited with ${loaded.status}`);
  }
  if (options.exec) {
    const result = spawnSync(command, args, { stdio: 'inherit', cwd: repo.root });
    if (result.error) throw new CliError(`Could not run ${command}: ${result.error.message}`);
  }
}

/**
 * The same repository, as the seed's teleport requires: one of this checkout's remotes
 * is the session's repository (its ssh and https URLs alike). A fork is not, even one
 * that has the branch; the branch is fetched from the session's repository only.
 */
async function fetchFromRemote(repo: LocalRepo, url: string, branch: string): Promise<string> {
  const wanted = sameRepoKey(url);
  const remotes = await repo.remotes();
  const match = wanted ? remotes.find((r) => sameRepoKey(r.url) === wanted) : undefined;
  if (!match) {
    throw new CliError(
      `This repository is not the session's: teleport runs from a checkout of the same repository (${url}), not a fork.`,
      [
        ...remotes.map((r) => `${r.name} here is ${r.url}`),
        `cd into a clone of ${url}, or add it as a remote (git remote add upstream ${url}).`,
      ],
    );
  }
  const has = await repo.run(['ls-remote', '--heads', match.name, branch]).catch(() => '');
  if (!has) {
    throw new CliError(
      `The branch ${branch} is not on ${match.name} (${match.url}) yet: the agent has not pushed it.`,
    );
  }
  await repo.run(['fetch', '--quiet', match.name, `refs/heads/${branch}`]);
  return 'FETCH_HEAD';
}

/** Bundle sessions: fetch from Hangar's read-only git endpoint, if the histories are related. */
async function fetchFromHangar(
  repo: LocalRepo,
  api: ApiClient,
  id: string,
  branch: string,
): Promise<string> {
  const url = `${api.server}/api/v1/sessions/${encodeURIComponent(id)}/git`;
  const ref = `refs/hangar/teleport/${id}`;
  try {
    await repo.run(
      ['fetch', '--quiet', '--no-tags', url, `+refs/heads/${branch}:${ref}`],
      withAuthHeader(process.env, api.token),
    );
  } catch (error) {
    throw new CliError(
      `Could not fetch ${branch} from Hangar: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const theirs = new Set(await repo.rootCommits(ref));
  const shared = (await repo.rootCommits('HEAD')).some((root) => theirs.has(root));
  if (!shared) {
    await repo.run(['update-ref', '-d', ref]);
    throw new CliError(
      "This repository is not the session's: it shares no root commit with the bundle the session started from. cd into the repository you started it from.",
    );
  }
  return ref;
}

/**
 * The token as git config passed through the environment (`GIT_CONFIG_COUNT`, git's
 * "ENVIRONMENT" doc), never argv: any user on the machine can read a process's argv.
 */
export function withAuthHeader(env: NodeJS.ProcessEnv, token: string): NodeJS.ProcessEnv {
  const count = Number(env.GIT_CONFIG_COUNT ?? 0);
  const n = Number.isInteger(count) && count >= 0 ? count : 0;
  return {
    GIT_CONFIG_COUNT: String(n + 1),
    [`GIT_CONFIG_KEY_${n}`]: 'http.extraHeader',
    [`GIT_CONFIG_VALUE_${n}`]: `Authorization: Bearer ${token}`,
  };
}

/** A branch name as Hangar makes them: no option-like start, no `..`, nothing git refuses. */
function isBranchName(name: string): boolean {
  return (
    /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/.test(name) &&
    !name.includes('..') &&
    !name.includes('//') &&
    !name.endsWith('/') &&
    !name.endsWith('.lock') &&
    !name.endsWith('.')
  );
}

/**
 * Writes the agent's conversation file where the agent on this machine finds it for
 * this repo, with the sandbox's repo path rewritten to this one.
 */
function writeConversation(
  env: NodeJS.ProcessEnv,
  root: string,
  agent: LocalAgent,
  conversation: Conversation,
): string {
  const file = agent.conversationPath(env.HOME || homedir(), root, conversation.agentSessionId);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, conversation.jsonl.split(conversation.sandboxRepoPath).join(root), {
    mode: 0o600,
  });
  return file;
}

function listing(sessions: Session[]): string {
  return table(
    ['#', 'ID', 'TITLE', 'STATUS', 'REPO', 'BRANCH', 'DIFF', 'UPDATED'],
    sessions.map((s, i) => [
      String(i + 1),
      s.id,
      s.title.length > 40 ? `${s.title.slice(0, 39)}…` : s.title,
      s.archived ? `${s.status} (archived)` : s.status,
      s.repo,
      s.branch ?? '-',
      `+${s.diffStats.additions} −${s.diffStats.deletions}`,
      shortTime(s.updatedAt),
    ]),
  );
}

async function pick(sessions: Session[], question: string): Promise<Session | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = (await rl.question(question)).trim();
  rl.close();
  if (answer === '') return undefined;
  const chosen = sessions[Number(answer) - 1];
  if (!chosen) throw new CliError(`"${answer}" is not a number from the list.`);
  return chosen;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(question);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
