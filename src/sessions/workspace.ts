import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Agent } from '../agents/agent.js';
import { conversationFile } from '../data-dir.js';
import { gitProxyUrl, sandboxEnv } from '../gateway/sandbox-env.js';
import { isAgentSessionId } from '../ids.js';
import { BoundedRead, type OutputBound } from '../sandbox/bounded-output.js';
import type { Sandbox } from '../sandbox/driver.js';
import type { Session } from '../store/sessions.js';
import { loadSessionFile, saveSessionFile } from '../store/session-files.js';
import type { Db } from '../store/store.js';
import type { Source } from './source.js';
import { OutputBatcher } from './streams.js';

/**
 * A session's work in its sandbox: the clone, the setup script, the diff after each
 * turn, and the agent's conversation saved to the host and put back.
 */

/**
 * Where the agent's install directory appears inside every sandbox (read-only). Its
 * parent must already exist in the base: a directory bwrap makes for a bind is 0700.
 */
export const AGENT_MOUNT = '/opt/hangar-agent';
/** Where Hangar's own tools (the GitHub MCP server) are bound read-only in a sandbox. */
export const TOOLS_MOUNT = '/opt/hangar-tools';
/** The GitHub tools' MCP server: one bundled file, run by the sandbox's `node`. */
export const GITHUB_TOOLS_FILE = 'hangar-github.cjs';

/** The host directory holding the built tools (`dist/mcp`, built by `npm run build`). */
export function toolsDir(): string {
  return fileURLToPath(new URL('../../dist/mcp/', import.meta.url));
}
/** The sandbox user's home; the repo is cloned into `<HOME>/<repoName>`. */
export const HOME = '/home/user';
/** Where the agent's hooks may leave variables for later commands. */
export const ENV_FILE = `${HOME}/.hangar/session-env`;
/** How long each read after a turn (diff, conversation) may take. */
const AFTER_TURN_TIMEOUT_MS = 5 * 60_000;

/**
 * `sh -c CLONE_SCRIPT clone <from branch> <url> <dir> <session branch> [rebuild]`;
 * `rebuild`: the session branch as last pushed, when the remote has it.
 */
const CLONE_SCRIPT = `set -e
mkdir -p "$HOME/.hangar"
# The repo's settings go in with the clone (--config): one git process each saved.
git clone --quiet --branch "$1" \\
  --config "user.name=Hangar agent" --config user.email=agent@hangar.invalid \\
  --config "branch.$4.remote=origin" --config "branch.$4.merge=refs/heads/$4" \\
  "$2" "$3"
cd "$3"
# -B: a session on an existing PR works on the branch it cloned.
if [ "$5" = rebuild ] && git rev-parse --quiet --verify "refs/remotes/origin/$4" >/dev/null; then
  git checkout --quiet -B "$4" "origin/$4"
else
  git checkout --quiet -B "$4"
fi`;

/** The key the git proxy knows a session's repo by: `host/owner/repo`, or Hangar's own. */
export function repoKey(session: Pick<Session, 'id' | 'source' | 'repoName'>): string {
  const source = session.source as Source;
  if (source.type === 'bundle') return `hangar.local/${session.id}/${session.repoName}`;
  const url = new URL(source.url);
  return `${url.host}${url.pathname.replace(/\.git$/, '').replace(/\/+$/, '')}`;
}

/** The repo's directory in the sandbox. */
export function repoDir(session: Pick<Session, 'repoName'>): string {
  return `${HOME}/${session.repoName}`;
}

/** The environment's vars under the gateway's: a user's HTTP_PROXY cannot route around it. */
export function execEnv(sandbox: Sandbox, vars: Record<string, string>): Record<string, string> {
  return { HOME, ...vars, ...sandboxEnv(sandbox.gateway ?? '127.0.0.1:9') };
}

/**
 * Clones through the git proxy and makes the session branch, in one exec: every exec
 * costs a few namespace entries, and this step is on the path to the first answer.
 */
export async function cloneRepo(
  sandbox: Sandbox,
  session: Session,
  bound: OutputBound,
  rebuild = false,
): Promise<void> {
  const source = session.source as Source;
  const branch = session.branch ?? 'hangar/session';
  const output = new OutputBatcher(() => undefined);
  const read = new BoundedRead();
  const budget = read.budget(bound);
  const result = await sandbox.exec(
    [
      'sh',
      '-c',
      CLONE_SCRIPT,
      'clone',
      source.branch,
      gitProxyUrl(sandbox.gateway ?? '', repoKey(session)),
      repoDir(session),
      branch,
      ...(rebuild ? ['rebuild'] : []),
    ],
    {
      cwd: HOME,
      stderr: read.writer(budget, (chunk) => output.add(chunk.toString('utf8'))),
      env: execEnv(sandbox, {}),
      signal: read.signal,
    },
  );
  read.finish();
  if (result.exitCode !== 0) {
    throw new Error(
      `Cloning the repository failed (exit ${result.exitCode}): ${output.lastLines().join(' | ')}`,
    );
  }
}

/** How the setup script is run and where its output goes. */
export interface SetupRun {
  script: string;
  vars: Record<string, string>;
  timeoutMs: number;
  bound: OutputBound;
  /** A batch of output; answers when it is recorded, and the script waits for that. */
  onOutput(stream: 'stdout' | 'stderr', text: string): void;
  /** Settles when what was handed to `onOutput` is recorded: the store keeps pace. */
  drained(): Promise<unknown> | undefined;
}

/** Runs the environment's setup script as root in the repo; throws with its last output. */
export async function runSetup(sandbox: Sandbox, session: Session, run: SetupRun): Promise<void> {
  const batcher = (stream: 'stdout' | 'stderr') =>
    new OutputBatcher((text) => run.onOutput(stream, text));
  const out = batcher('stdout');
  const err = batcher('stderr');
  const read = new BoundedRead({ timeout: { ms: run.timeoutMs, what: 'the setup script' } });
  const budget = read.budget(run.bound);
  const result = await sandbox.exec(['bash', '-s'], {
    user: 'root',
    cwd: repoDir(session),
    stdin: run.script,
    stdout: read.writer(budget, (chunk) => {
      out.add(chunk.toString('utf8'));
      return run.drained();
    }),
    stderr: read.writer(budget, (chunk) => {
      err.add(chunk.toString('utf8'));
      return run.drained();
    }),
    env: execEnv(sandbox, run.vars),
    signal: read.signal,
  });
  out.flush();
  err.flush();
  read.finish();
  if (result.exitCode !== 0) {
    const tail = [...out.lastLines(), ...err.lastLines()].slice(-10).join('\n');
    throw new Error(`The setup script exited with code ${result.exitCode}. Last output:\n${tail}`);
  }
}

/** The session's change: the unified diff (cut past its bound) and its counts. */
export interface WorkDiff {
  diff: string;
  stats: DiffStats;
}

export interface DiffStats {
  files: number;
  additions: number;
  deletions: number;
}

/** The work tree against the base commit, untracked files included, the real index untouched. */
export async function readDiff(
  sandbox: Sandbox,
  session: Session & { baseCommit: string },
  bound: (what: string) => OutputBound,
): Promise<WorkDiff> {
  const repo = repoDir(session);
  const index = `${HOME}/.hangar/diff-index`;
  /** Runs git in the sandbox; at most `cap` of its output is kept, cut (not failed) past it. */
  const git = async (args: string[], cap?: OutputBound) => {
    const read = new BoundedRead({
      timeout: { ms: AFTER_TURN_TIMEOUT_MS, what: `git ${args[0] ?? ''} after the turn` },
    });
    const budget = cap ? read.budget(cap, 'truncate') : undefined;
    const out = budget ? read.collect(budget) : undefined;
    const result = await sandbox.exec(['git', '-C', repo, ...args], {
      env: { GIT_INDEX_FILE: index },
      ...(out ? { stdout: out } : {}),
      signal: read.signal,
    });
    read.finish();
    if (budget?.truncated) return { text: out?.text() ?? '', truncated: true };
    if (result.exitCode !== 0) throw new Error(`git ${args[0] ?? ''} exited ${result.exitCode}`);
    return { text: out?.text() ?? '', truncated: false };
  };
  await sandbox.exec(['mkdir', '-p', `${HOME}/.hangar`]);
  await git(['read-tree', 'HEAD']);
  await git(['add', '-A']);
  // One line whatever the change's size, unlike --numstat's line per file.
  const shortstat = await git(
    ['diff', '--cached', '--shortstat', session.baseCommit],
    bound('the diff summary'),
  );
  const cut = await git(['diff', '--cached', session.baseCommit], bound('the diff'));
  const diff = cut.truncated ? `${cut.text}\n… diff truncated\n` : cut.text;
  return { diff, stats: shortStats(shortstat.text) };
}

/** `3 files changed, 10 insertions(+), 2 deletions(-)` → its numbers (absent parts are 0). */
export function shortStats(line: string): DiffStats {
  const count = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? 0);
  return {
    files: count(/([0-9]+) files? changed/),
    additions: count(/([0-9]+) insertions?\(\+\)/),
    deletions: count(/([0-9]+) deletions?\(-\)/),
  };
}

/**
 * Which conversation the next turn resumes. The agent writes its conversation as it
 * goes, so a crash can leave none behind: then the copy saved after the last turn is
 * put back, and with no copy either, a new conversation starts that is told the task.
 */
export async function conversationToResume(
  sandbox: Sandbox,
  session: Session,
  agent: Agent,
  text: string,
  host: { db: Db; dataDir: string; logger: Logger },
): Promise<{ resumeId: string | null; input: string }> {
  const id = session.agentSessionId;
  // A stored id that is not a UUID is never passed on as an argument or a path.
  if (!id || !isAgentSessionId(id)) return { resumeId: null, input: text };
  const { conversation } = agent;
  const found = await sandbox.exec(conversation.existsCommand(id, AGENT_MOUNT));
  if (found.exitCode === 0) return { resumeId: id, input: text };
  // This host's copy, else the store's (the session may have moved here from another runner).
  const saved =
    (await readFile(conversationFile(host.dataDir, session.id)).catch(() => undefined)) ??
    (await loadSessionFile(host.db, session.id, 'conversation'));
  if (saved !== undefined) {
    const file = conversation.path(HOME, repoDir(session), id);
    const put = await sandbox.exec(
      ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'restore', file],
      { stdin: saved },
    );
    const loaded =
      put.exitCode === 0 && conversation.importCommand
        ? await sandbox.exec(conversation.importCommand(file, AGENT_MOUNT))
        : put;
    if (loaded.exitCode === 0) return { resumeId: id, input: text };
  }
  host.logger.warn(
    { session: session.id },
    'the conversation was lost in a crash; starting a new one',
  );
  return { resumeId: null, input: lostConversationInput(session.prompt, text) };
}

/** A new conversation's first message when the old one was lost: the task, then the message. */
export function lostConversationInput(task: string, text: string): string {
  return `(The earlier conversation of this session was lost when the server stopped. The task was:\n${task})\n\n${text}`;
}

/**
 * Copies the agent's conversation out of the sandbox after each turn, to the host and
 * to the store, so teleport can hand it to the agent on a person's machine even while
 * the sandbox is stopped, and another runner can resume it if this one dies.
 */
export async function saveConversation(
  sandbox: Sandbox,
  session: Session,
  agent: Agent,
  /** `holder`: the runner saving it, refused once another runner holds the session. */
  host: { db: Db; dataDir: string; holder?: string },
  bound: OutputBound,
): Promise<void> {
  const { dataDir } = host;
  if (!session.agentSessionId || !isAgentSessionId(session.agentSessionId)) return;
  // The file is the sandbox's: it may be a symlink to /dev/zero or a FIFO. Hence a bound,
  // a time limit, and a write straight to disk that keeps the last copy until it is whole.
  const read = new BoundedRead({
    timeout: { ms: AFTER_TURN_TIMEOUT_MS, what: "reading the agent's conversation" },
  });
  const file = read.toFile(read.budget(bound), conversationFile(dataDir, session.id));
  const result = await sandbox.exec(
    agent.conversation.readCommand(session.agentSessionId, AGENT_MOUNT),
    {
      stdout: file,
      signal: read.signal,
    },
  );
  if (result.exitCode !== 0 && !read.failed) {
    await file.discard();
    throw new Error(`no conversation file (exit ${result.exitCode})`);
  }
  await file.save();
  // Read back whole: it is within the bound just applied.
  const saved = await readFile(conversationFile(dataDir, session.id));
  await saveSessionFile(host.db, session.id, 'conversation', saved, host.holder);
}

/** Runs git in the session's repo with bounded output (cut, not failed, past `bound`). */
export async function gitInRepo(
  sandbox: Sandbox,
  session: Pick<Session, 'repoName'>,
  args: string[],
  bound: OutputBound,
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const read = new BoundedRead({
    timeout: { ms: AFTER_TURN_TIMEOUT_MS, what: `git ${args[0] ?? ''} in the session` },
  });
  const stdout = read.collect(read.budget(bound, 'truncate'));
  const stderr = read.collect(read.budget(bound, 'truncate'));
  const result = await sandbox.exec(['git', '-C', repoDir(session), ...args], {
    env: execEnv(sandbox, {}),
    stdout,
    stderr,
    signal: read.signal,
  });
  read.finish();
  return { exitCode: result.exitCode, stdout: stdout.text(), stderr: stderr.text() };
}
