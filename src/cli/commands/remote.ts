import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_AGENT_NAME } from '../../agents/catalog.js';
import { climbLadder, describeTried, megabytes } from '../../git/bundle-ladder.js';
import { LocalRepo, wipBranch } from '../../git/local-repo.js';
import { AgentUnavailableError } from '../../agents/readiness.js';
import { ApiClient, type Schemas } from '../client.js';
import { resolveCredentials } from '../credentials.js';
import { CliError } from '../errors.js';
import type { Io } from '../io.js';
import { followUntilStopped, formatEvent, stoppedError } from './sessions.js';

interface RemoteOptions {
  env?: string;
  agent?: string;
  model?: string;
  title?: string;
  wait?: boolean;
}

type Environment = Schemas['Environment'];

/** A new session's settings, all but its source. */
type Common = Omit<Schemas['CreateSession'], 'source'>;

interface Created {
  id: string;
  url: string;
  branch: string;
}

export function registerRemote(program: Command, io: Io): void {
  program
    .command('remote')
    .description(
      'start a session on this repository from the terminal (also: hangar --remote "task")',
    )
    .argument('<task...>', 'what the agent should do')
    .option('--env <name>', 'environment name or id (default: your default environment)')
    .option(
      '--agent <agent>',
      `the agent to run (default: the environment's default agent, else ${DEFAULT_AGENT_NAME})`,
    )
    .option('--model <model>', 'the model the agent uses')
    .option('--title <title>', 'session title (default: from the task)')
    .option(
      '--wait',
      'follow the session until the agent stops; exit 1 naming the status unless it is idle',
    )
    .action(async (words: string[], options: RemoteOptions) => {
      const repo = await LocalRepo.at(process.cwd());
      if (!repo)
        throw new CliError('Not inside a git work tree: run hangar --remote in your repository.');
      const branch = await repo.currentBranch();
      if (!branch) throw new CliError('HEAD is detached: check out a branch first.');
      const api = new ApiClient(resolveCredentials(io.env));
      const env = await findEnvironment(api, options.env);
      await requireUsableAgent(api, options.agent, env);
      const common: Common = {
        prompt: words.join(' '),
        ...(options.env && env ? { environmentId: env.id } : {}),
        // The server checks the name and lists the agents it has.
        ...(options.agent ? { agent: options.agent as Common['agent'] } : {}),
        ...(options.model ? { model: options.model } : {}),
        ...(options.title ? { title: options.title } : {}),
      };

      const created =
        (io.env.HANGAR_FORCE_BUNDLE === '1'
          ? undefined
          : await fromRemote(api, repo, branch, common, io)) ??
        (await fromBundle(api, repo, branch, common, io));

      io.out(`Started session ${created.id} on branch ${created.branch}`);
      io.out(`  ${created.url}`);
      io.out(`  Teleport it back with: hangar teleport ${created.id}`);
      if (options.wait) await waitForAgent(api, created.id, io);
    });
}

/** The session on the branch's remote, if it is a URL the server can fetch. */
async function fromRemote(
  api: ApiClient,
  repo: LocalRepo,
  branch: string,
  common: Common,
  io: Io,
): Promise<Created | undefined> {
  const remote = await repo.remoteUrl(branch);
  const url = remote ? httpUrlOf(remote.url) : undefined;
  if (!remote || !url) return undefined;
  try {
    const created = await api.data(
      api.http.POST('/api/v1/sessions', {
        body: { ...common, source: { type: 'git', url, branch } },
      }),
    );
    const unpushed = await repo.unpushedCount(branch);
    if (unpushed > 0) {
      io.err(
        `Warning: ${unpushed} local commit(s) on ${branch} are not pushed to ${remote.remote}; the session starts without them.`,
      );
    }
    if (await repo.isDirty())
      io.err('Warning: uncommitted changes stay here; the session starts from the pushed branch.');
    return created;
  } catch (error) {
    if (error instanceof CliError && /^source\./.test(error.message)) {
      io.err(
        `The server cannot fetch ${url} (${error.message}); sending the repository as a bundle instead.`,
      );
      return undefined;
    }
    throw error;
  }
}

/** Uploads the repo as a bundle, down the ladder until it fits, and starts the session on it. */
async function fromBundle(
  api: ApiClient,
  repo: LocalRepo,
  branch: string,
  common: Common,
  io: Io,
): Promise<Created> {
  const { maxBytes } = await api.data(api.http.GET('/api/v1/bundles/limits'));
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bundle-'));
  try {
    const wip = await repo.workInProgressCommit();
    const result = await climbLadder((rung) => repo.makeBundle(rung, dir, branch, wip), maxBytes);
    if (!result.ok) {
      throw new CliError(
        `The repository is too large to send: bundles of ${describeTried(result.tried)} are all over the server's limit of ${megabytes(result.limit)}.`,
        [
          'Push the branch to a remote the server can reach, or raise HANGAR_MAX_BUNDLE_MB on the server.',
        ],
      );
    }
    if (result.rung !== 'all-branches') {
      io.err(
        `Sending ${result.rung === 'squashed' ? 'one squashed commit of the working state' : `only ${branch}`} (${describeTried(result.tried)}; limit ${megabytes(maxBytes)}).`,
      );
    }
    const untracked = await repo.untrackedCount();
    if (untracked > 0)
      io.err(
        `${untracked} untracked file(s) were left out; commit them or add them to git to send them.`,
      );

    const bundle = await api.data(
      api.http.POST('/api/v1/bundles', {
        // The document types a binary body as a string: the file's bytes go as they are.
        body: readFileSync(result.bundle.file) as unknown as string,
        bodySerializer: (bytes) => bytes,
        headers: { 'content-type': 'application/octet-stream' },
      }),
    );
    const sessionBranch = wip || result.rung === 'squashed' ? wipBranch(branch) : branch;
    return await api.data(
      api.http.POST('/api/v1/sessions', {
        body: {
          ...common,
          source: { type: 'bundle', bundleId: bundle.id, branch: sessionBranch, name: repo.name },
        },
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Follows the session until the agent stops; anything but idle is exit code 1. */
async function waitForAgent(api: ApiClient, id: string, io: Io): Promise<void> {
  const stop = await followUntilStopped(api, id, (event) => {
    if (event.type !== 'agent.unknown') io.err(formatEvent(event));
  });
  if (stop.status !== 'idle') throw stoppedError(id, stop);
}

/**
 * Stops before a bundle is sent when the server says it cannot run the agent: the one
 * named, else the environment's default, else the server's.
 */
async function requireUsableAgent(
  api: ApiClient,
  named: string | undefined,
  env: Environment | undefined,
): Promise<void> {
  const fromEnv = named === undefined && env?.defaultAgent ? env : undefined;
  const agent = named ?? fromEnv?.defaultAgent ?? DEFAULT_AGENT_NAME;
  const { agents } = await api.data(api.http.GET('/api/v1/agents'));
  const status = agents.find((a) => a.name === agent);
  if (status && !status.usable) {
    const chosenAs = fromEnv ? `the default agent of the environment "${fromEnv.name}"` : undefined;
    throw new AgentUnavailableError(status, chosenAs);
  }
}

/** The environment named by `ref` (name or id), else the user's default (if any). */
async function findEnvironment(
  api: ApiClient,
  ref: string | undefined,
): Promise<Environment | undefined> {
  if (ref && /^env_[0-9a-z]+$/.test(ref))
    return api.data(api.http.GET('/api/v1/environments/{id}', { params: { path: { id: ref } } }));
  const { environments } = await api.data(api.http.GET('/api/v1/environments'));
  if (ref === undefined) return environments.find((e) => e.isDefault);
  const found = environments.find((e) => e.name.toLowerCase() === ref.toLowerCase());
  if (!found) throw new CliError(`No environment named "${ref}": see \`hangar env list\`.`);
  return found;
}

/**
 * An https URL the server can clone for a remote URL: http(s) as is, and the ssh
 * spellings of a host (`git@host:owner/repo.git`, `ssh://git@host/owner/repo`) as https.
 */
export function httpUrlOf(remote: string): string | undefined {
  if (/^https?:\/\//i.test(remote)) return remote.replace(/\/\/[^/@]*@/, '//');
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(remote);
  if (scp?.[1] && scp[2]) return `https://${scp[1]}/${scp[2]}`;
  const ssh = /^ssh:\/\/(?:[^@/]+@)?([^/:]+)(?::\d+)?\/(.+)$/i.exec(remote);
  if (ssh?.[1] && ssh[2]) return `https://${ssh[1]}/${ssh[2]}`;
  return undefined;
}

/** One spelling for URLs of the same repo: host and path, lowercased, without `.git`. */
export function sameRepoKey(url: string): string | undefined {
  const https = httpUrlOf(url);
  if (!https) return undefined;
  try {
    const parsed = new URL(https);
    const path = parsed.pathname.replace(/\/+$/, '').replace(/\.git$/, '');
    return `${parsed.host.toLowerCase()}${path.toLowerCase()}`;
  } catch {
    return undefined;
  }
}
