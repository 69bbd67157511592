import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import type { Agent } from '../agents/agent.js';
import { agentFor, checkMessage } from '../agents/index.js';
import type { InstalledAgent } from '../agents/install.js';
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from '../config.js';
import { ConflictError } from '../errors.js';
import { isAgentSessionId } from '../ids.js';
import { parseDotenv } from '../environments/dotenv.js';
import { policyFor } from '../gateway/egress-policy.js';
import type { Attachment, Gateway } from '../gateway/gateway.js';
import type { GitUpstream } from '../gateway/git-proxy.js';
import type { ModelMeter } from '../gateway/model-gateway.js';
import { gitProxyUrl, sandboxEnv } from '../gateway/sandbox-env.js';
import { runGit } from '../git/run-git.js';
import { BoundedRead, OutputBoundError, type OutputBound } from '../sandbox/bounded-output.js';
import type { Sandbox, SandboxDriver } from '../sandbox/driver.js';
import {
  bundlePath,
  conversationFile,
  gatewaySocketPath,
  sessionBareRepo,
  sessionDir,
} from '../data-dir.js';
import { deleteUnusedBundles, UNUSED_BUNDLE_TTL_MS } from '../store/bundles.js';
import { getEnvironment, type Environment } from '../store/environments.js';
import type { Db } from '../store/store.js';
import type { EventLog } from './event-log.js';
import type { NewEvent } from './events.js';
import type { ProvisioningStep, SessionStatus } from './status.js';
import {
  appendAgentOutput,
  claimQueued,
  deleteSessionRow,
  loadSession,
  markWaiting,
  orphanedSessions,
  renewLeases,
  updateSession,
  type Session,
} from '../store/sessions.js';
import type { Source } from './source.js';
import { OutputBatcher } from './streams.js';

export interface RunnerOptions {
  /** Idle time before a session's sandbox is stopped (status `hibernated`). */
  hibernateAfterMs: number;
  /** How long a setup script may run. */
  setupTimeoutMs: number;
  /** Row lease length; renewed at a third of it. */
  leaseMs: number;
  /** How often to look for queued sessions when nothing wakes the runner. */
  pollMs: number;
  /** Sessions of one user provisioning or running at once; more wait `queued`. */
  maxSessionsPerUser: number;
  /** How long an uploaded bundle that no session uses is kept. */
  unusedBundleTtlMs: number;
  /** How much of what a sandbox controls the host reads (config's HANGAR_MAX_*_MB). */
  outputLimits: OutputLimits;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  hibernateAfterMs: 30 * 60_000,
  setupTimeoutMs: 10 * 60_000,
  leaseMs: 30_000,
  pollMs: 2_000,
  maxSessionsPerUser: 5,
  unusedBundleTtlMs: UNUSED_BUNDLE_TTL_MS,
  outputLimits: DEFAULT_OUTPUT_LIMITS,
};

/** How often unused bundles past their time are looked for. */
const BUNDLE_SWEEP_MS = 10 * 60_000;

export interface RunnerDeps {
  db: Db;
  log: EventLog;
  driver: SandboxDriver;
  gateway: Gateway;
  /** Sessions' repos and gateway sockets live under `<dataDir>/sessions`. */
  dataDir: string;
  /** Installs a session's agent if needed; its directory is bound read-only into sandboxes. */
  installAgent: (agent: Agent) => Promise<InstalledAgent>;
  /** The agent a session names (default: the registry's). */
  agentFor?: (name: string) => Agent;
  /** The trusted default list, for the `trusted` level and `includeDefaults`. */
  trustedPatterns: readonly string[];
  /** Counts a session's model use and applies the limits; omitted: not counted. */
  modelMeter?: (session: Session) => ModelMeter;
  logger: Logger;
  /** The lease owner name; one server per data dir, so derive it from that (runnerIdFor). */
  runnerId?: string;
  options?: Partial<RunnerOptions>;
}

/** A runner id that stays the same for one data dir on one host. */
export function runnerIdFor(dataDir: string): string {
  return `runner-${hostname()}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

/**
 * Where the agent's install directory appears inside every sandbox (read-only). Its
 * parent must already exist in the base: a directory bwrap makes for a bind is 0700.
 */
export const AGENT_MOUNT = '/opt/hangar-agent';
const HOME = '/home/user';
const ENV_FILE = `${HOME}/.hangar/session-env`;
/** How long each read after a turn (diff, conversation) may take. */
const AFTER_TURN_TIMEOUT_MS = 5 * 60_000;
const INTERRUPT_GRACE_MS = 5_000;

/** `sh -c CLONE_SCRIPT clone <from branch> <url> <dir> <session branch>` */
const CLONE_SCRIPT = `set -e
mkdir -p "$HOME/.hangar"
git clone --quiet --branch "$1" "$2" "$3"
cd "$3"
git checkout --quiet -b "$4"
git config user.name "Hangar agent"
git config user.email agent@hangar.invalid
git config "branch.$4.remote" origin
git config "branch.$4.merge" "refs/heads/$4"`;

/** A session whose sandbox is started in this process. */
interface Live {
  id: string;
  sandbox: Sandbox;
  attachment: Attachment;
  queue: string[];
  turn?: { abort: AbortController; done: Promise<void>; interrupted?: boolean };
  hibernateTimer?: NodeJS.Timeout;
}

/**
 * Runs sessions: claims queued ones, provisions their sandbox (clone, setup script,
 * agent), runs the agent's turns, hibernates idle sandboxes and resumes them, and
 * recovers what a crash left behind. Every step is recorded in the session's log.
 */
export class Runner {
  /**
   * Names this runner in session leases. Stable across restarts of one server (see
   * `runnerIdFor`), so a restarted server recognises the sessions it held at once.
   */
  readonly id: string;
  private readonly options: RunnerOptions;
  private readonly live = new Map<string, Live>();
  /** Sessions being provisioned or resumed: the promise settles when that is over. */
  private readonly starting = new Map<string, Promise<void>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private polling = false;
  /** A kick that came while polling: poll once more when done, since a slot may have freed. */
  private kickedWhilePolling = false;
  private stopped = false;
  /** Appends per session, chained so events keep the order they happened in. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: RunnerDeps) {
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...deps.options };
    this.id = deps.runnerId ?? `runner-${randomBytes(6).toString('hex')}`;
  }

  /** Recovers sessions a previous process left mid-way, then starts claiming. */
  async start(): Promise<void> {
    await this.recover();
    this.leaseTimer = setInterval(() => {
      const ids = [...this.live.keys(), ...this.starting.keys()];
      renewLeases(this.deps.db, this.id, ids, this.options.leaseMs).catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'lease renewal failed');
      });
    }, this.options.leaseMs / 3);
    const sweep = () =>
      void this.sweepBundles().catch((error: unknown) => {
        this.deps.logger.warn({ err: error }, 'sweeping unused bundles failed');
      });
    sweep();
    this.sweepTimer = setInterval(sweep, BUNDLE_SWEEP_MS).unref();
    this.kick();
  }

  /** Looks for queued sessions now (called when one is created). */
  kick(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.kickedWhilePolling = true;
      return;
    }
    clearTimeout(this.pollTimer);
    void this.poll();
  }

  /**
   * Stops cleanly: running turns are interrupted and recorded as such, sandboxes are
   * stopped (their disks kept) and the sessions marked `hibernated`.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.leaseTimer);
    clearInterval(this.sweepTimer);
    await Promise.allSettled(this.starting.values());
    await Promise.allSettled([...this.live.values()].map((live) => this.hibernate(live)));
    await Promise.allSettled(this.chains.values());
  }

  /** A user's message: delivered now if the agent is waiting, else queued for the next turn. */
  async sendMessage(session: Session, text: string): Promise<{ queued: boolean }> {
    checkMessage(this.agentOf(session), text, 'text');
    if (session.status === 'failed') {
      throw new ConflictError(
        `Session ${session.id} failed (${session.failureReason ?? 'no reason recorded'}): start a new one.`,
      );
    }
    await this.append(session.id, [{ type: 'message.user', data: { text } }]);
    const live = this.live.get(session.id);
    if (live && !live.turn && !this.starting.has(session.id)) {
      this.beginTurn(live, text);
      return { queued: false };
    }
    if (
      live ||
      this.starting.has(session.id) ||
      session.status === 'queued' ||
      session.status === 'provisioning'
    ) {
      this.queueFor(session.id).push(text);
      return { queued: true };
    }
    // Hibernated, or idle after a restart: start the sandbox again and continue.
    this.queueFor(session.id).push(text);
    this.track(session.id, this.resume(session));
    return { queued: true };
  }

  /**
   * Stops the running turn, if any; the session then waits for a message. The agent
   * gets SIGTERM first, which ends its tool processes too (as Esc does in a terminal);
   * if it is still there after a grace period, the exec is killed outright.
   */
  interrupt(sessionId: string): boolean {
    const live = this.live.get(sessionId);
    const turn = live?.turn;
    if (!live || !turn) return false;
    live.queue.length = 0;
    turn.interrupted = true;
    const kill = setTimeout(() => turn.abort.abort(), INTERRUPT_GRACE_MS);
    void turn.done.finally(() => clearTimeout(kill));
    live.sandbox
      .exec(['pkill', '-TERM', '-f', `^${AGENT_MOUNT}/`], { user: 'root' })
      .catch(() => turn.abort.abort());
    return true;
  }

  /** Archives a session: hidden from lists; its sandbox is stopped when idle. */
  async archive(session: Session): Promise<void> {
    await updateSession(this.deps.db, session.id, { archivedAt: new Date() });
    this.deps.log.announce({ type: 'archived', sessionId: session.id, userId: session.userId });
    const live = this.live.get(session.id);
    if (live && !live.turn) await this.hibernate(live);
  }

  /** Deletes a session for good: sandbox, disk, repo mirror, events, and its bundle. */
  async delete(session: Session): Promise<void> {
    // Let provisioning or a resume finish first, so nothing is left half made.
    await this.starting.get(session.id)?.catch(() => undefined);
    this.pendingQueues.delete(session.id);
    const live = this.live.get(session.id);
    if (live) {
      live.turn?.abort.abort();
      clearTimeout(live.hibernateTimer);
      this.live.delete(session.id);
      await live.turn?.done.catch(() => undefined);
      await live.attachment.detach();
    }
    const sandboxId = live?.sandbox.id ?? (await loadSession(this.deps.db, session.id))?.sandboxId;
    if (sandboxId) {
      const sandbox = await this.deps.driver.get(sandboxId).catch(() => undefined);
      await sandbox?.destroy();
    }
    await this.chains.get(session.id)?.catch(() => undefined);
    await rm(sessionDir(this.deps.dataDir, session.id), { recursive: true, force: true });
    await deleteSessionRow(this.deps.db, session.id);
    this.deps.log.announce({ type: 'deleted', sessionId: session.id, userId: session.userId });
    const source = session.source as Source;
    if (source.type === 'bundle') await this.removeBundles({ id: source.bundleId });
    this.kick();
  }

  /** Bundles no session uses, uploaded longer ago than their time to live, are deleted. */
  async sweepBundles(now = new Date()): Promise<void> {
    const uploadedBefore = new Date(now.getTime() - this.options.unusedBundleTtlMs);
    await this.removeBundles({ uploadedBefore });
  }

  private async removeBundles(which: { id: string } | { uploadedBefore: Date }): Promise<void> {
    const ids = await deleteUnusedBundles(this.deps.db, which);
    await Promise.all(ids.map((id) => rm(bundlePath(this.deps.dataDir, id), { force: true })));
  }

  // --- claiming and recovery ---

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.kickedWhilePolling = false;
    const { db } = this.deps;
    const max = this.options.maxSessionsPerUser;
    try {
      for (;;) {
        const session = await claimQueued(db, this.id, this.options.leaseMs, max);
        if (!session) break;
        this.track(session.id, this.provision(session));
      }
      // Those left queued belong to users at their limit: say so in their logs, once.
      for (const { id, detail } of await markWaiting(db, max)) {
        await this.append(id, [
          { type: 'session.status', data: { status: 'queued', reason: detail } },
        ]);
      }
    } catch (error) {
      this.deps.logger.error({ err: error }, 'claiming queued sessions failed');
    } finally {
      this.polling = false;
      // `stop()` may have run while we awaited.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!this.stopped) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by kick() meanwhile
        const wait = this.kickedWhilePolling ? 0 : this.options.pollMs;
        this.pollTimer = setTimeout(() => void this.poll(), wait);
      }
    }
  }

  /** After a crash: nothing stays stuck, and an interrupted turn is said to be one. */
  private async recover(): Promise<void> {
    for (const session of await orphanedSessions(this.deps.db, this.id, new Date())) {
      if (session.status === 'provisioning') {
        await this.fail(
          session.id,
          'Hangar restarted while this session was being prepared; start a new session.',
        );
        continue;
      }
      if (session.status === 'running') {
        await this.append(session.id, [
          { type: 'turn.result', data: { isError: true, interrupted: true } },
        ]);
      }
      // The sandbox's processes died with the old server; its disk is intact.
      const sandbox = session.sandboxId
        ? await this.deps.driver.get(session.sandboxId).catch(() => undefined)
        : undefined;
      await sandbox?.stop().catch(() => undefined);
      await this.setStatus(session.id, 'hibernated');
      await updateSession(this.deps.db, session.id, { leaseOwner: null, leaseExpiresAt: null });
    }
  }

  // --- provisioning ---

  private async provision(session: Session): Promise<void> {
    const { db } = this.deps;
    try {
      await this.setStatus(session.id, 'provisioning', 'sandbox');
      const env = await getEnvironment(db, session.userId, session.environmentId);
      const vars = parseDotenv(env.envVars).vars;
      const agent = await this.deps.installAgent(this.agentOf(session));
      // The bundle is only needed by the clone: unpack it while the sandbox starts.
      const mirrored = session.source.type === 'bundle' ? this.mirrorBundle(session) : undefined;
      const started = this.startSandbox(session, env, agent.dir);
      const [live] = await Promise.all([started, mirrored]).catch(async (error: unknown) => {
        this.stopLeftover(session.id, await started.catch(() => undefined));
        throw error;
      });
      this.live.set(session.id, live);

      await this.setStatus(session.id, 'provisioning', 'clone');
      await this.clone(session, live.sandbox);

      if (env.setupScript.trim() !== '') {
        await this.setStatus(session.id, 'provisioning', 'setup');
        await this.runSetup(session, live.sandbox, env.setupScript, vars);
      }
      await this.setStatus(session.id, 'provisioning', 'agent');
      this.beginTurn(live, session.prompt);
    } catch (error) {
      this.deps.logger.warn({ err: error, session: session.id }, 'provisioning failed');
      await this.fail(session.id, error instanceof Error ? error.message : String(error));
    }
  }

  /** A sandbox started for a provisioning step that failed alongside it is not left running. */
  private stopLeftover(id: string, live: Live | undefined): void {
    if (!live) return;
    void live.sandbox.stop().catch(() => undefined);
    void live.attachment.detach().catch(() => undefined);
    this.deps.logger.info({ session: id }, 'stopped the sandbox of a failed start');
  }

  /** A bundle's branches in a bare repo Hangar keeps: the session clones from and pushes to it. */
  private async mirrorBundle(session: Session): Promise<void> {
    const source = session.source as Source & { type: 'bundle' };
    const repoDir = this.bareRepo(session.id);
    await mkdir(dirname(repoDir), { recursive: true });
    const cloned = await runGit([
      'clone',
      '--bare',
      '--quiet',
      bundlePath(this.deps.dataDir, source.bundleId),
      repoDir,
    ]);
    if (cloned.code !== 0) throw new Error(`Could not unpack the bundle: ${cloned.stderr.trim()}`);
    // Pushes over smart HTTP need this on a bare repo served by git http-backend.
    await runGit(['config', 'http.receivepack', 'true'], { cwd: repoDir });
  }

  private async startSandbox(session: Session, env: Environment, agentDir: string): Promise<Live> {
    const { db, gateway, driver } = this.deps;
    const policy = policyFor(
      { level: env.networkLevel, allowlist: env.allowlist, includeDefaults: env.includeDefaults },
      this.deps.trustedPatterns,
    );
    const key = repoKey(session);
    const socketPath = gatewaySocketPath(this.deps.dataDir, session.id);
    await mkdir(dirname(socketPath), { recursive: true, mode: 0o700 });
    await rm(socketPath, { force: true });
    const attachment = await gateway.attach(session.id, {
      socketPath,
      policy,
      ...(session.branch ? { branch: session.branch } : {}),
      // This attachment's own upstream: no other session's attach or delete touches it.
      repos: {
        [key]: upstreamOf(session, this.bareRepo(session.id), this.options.outputLimits.repoBytes),
      },
      ...(this.deps.modelMeter ? { meter: this.deps.modelMeter(session) } : {}),
    });
    try {
      let sandbox: Sandbox;
      if (session.sandboxId) {
        sandbox = await driver.get(session.sandboxId);
        await sandbox.start();
      } else {
        sandbox = await driver.create({
          gatewaySocket: socketPath,
          binds: [{ source: agentDir, target: AGENT_MOUNT }],
        });
        await updateSession(db, session.id, { sandboxId: sandbox.id });
      }
      return { id: session.id, sandbox, attachment, queue: this.takeQueue(session.id) };
    } catch (error) {
      await attachment.detach();
      throw error;
    }
  }

  /**
   * Clones through the git proxy and makes the session branch, in one exec: every exec
   * costs a few namespace entries, and this step is on the path to the first answer.
   */
  private async clone(session: Session, sandbox: Sandbox): Promise<void> {
    const source = session.source as Source;
    const branch = session.branch ?? 'hangar/session';
    const output = new OutputBatcher(() => undefined);
    const read = new BoundedRead();
    const budget = read.budget(this.bound('setupBytes', "the clone's output"));
    const result = await sandbox.exec(
      [
        'sh',
        '-c',
        CLONE_SCRIPT,
        'clone',
        source.branch,
        gitProxyUrl(sandbox.gateway ?? '', repoKey(session)),
        `${HOME}/${session.repoName}`,
        branch,
      ],
      {
        cwd: HOME,
        stderr: read.writer(budget, (chunk) => output.add(chunk.toString('utf8'))),
        env: this.sandboxEnv(sandbox, {}),
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

  private async runSetup(
    session: Session,
    sandbox: Sandbox,
    script: string,
    vars: Record<string, string>,
  ): Promise<void> {
    const batcher = (stream: 'stdout' | 'stderr') =>
      new OutputBatcher((text) => {
        void this.append(session.id, [{ type: 'setup.output', data: { stream, text } }]);
      });
    const out = batcher('stdout');
    const err = batcher('stderr');
    const read = new BoundedRead({
      timeout: { ms: this.options.setupTimeoutMs, what: 'the setup script' },
    });
    const budget = read.budget(this.bound('setupBytes', "the setup script's output"));
    const result = await sandbox.exec(['bash', '-s'], {
      user: 'root',
      cwd: `${HOME}/${session.repoName}`,
      stdin: script,
      stdout: read.writer(budget, (chunk) => {
        out.add(chunk.toString('utf8'));
        return this.chains.get(session.id); // The store keeps pace, or the script waits.
      }),
      stderr: read.writer(budget, (chunk) => {
        err.add(chunk.toString('utf8'));
        return this.chains.get(session.id);
      }),
      env: this.sandboxEnv(sandbox, vars),
      signal: read.signal,
    });
    out.flush();
    err.flush();
    read.finish();
    if (result.exitCode !== 0) {
      const tail = [...out.lastLines(), ...err.lastLines()].slice(-10).join('\n');
      throw new Error(
        `The setup script exited with code ${result.exitCode}. Last output:\n${tail}`,
      );
    }
  }

  // --- turns ---

  private beginTurn(live: Live, text: string): void {
    clearTimeout(live.hibernateTimer);
    const abort = new AbortController();
    const done = this.runTurn(live, text, abort.signal)
      .catch(async (error: unknown) => {
        if (error instanceof OutputBoundError) {
          // The sandbox passed a bound: its session ends here, with the reason; nothing else does.
          this.deps.logger.warn({ session: live.id, reason: error.message }, 'output bound hit');
          await this.append(live.id, [
            { type: 'turn.result', data: { isError: true, error: error.message } },
          ]);
          await this.fail(live.id, error.message);
          return;
        }
        this.deps.logger.error({ err: error, session: live.id }, 'turn failed');
        await this.append(live.id, [{ type: 'turn.result', data: { isError: true } }]);
      })
      .finally(() => {
        live.turn = undefined;
        void this.afterTurn(live);
      });
    live.turn = { abort, done };
  }

  private async runTurn(live: Live, text: string, signal: AbortSignal): Promise<void> {
    const interrupted = () => signal.aborted || live.turn?.interrupted === true;
    const session = await loadSession(this.deps.db, live.id);
    if (!session) return;
    await this.setStatus(live.id, 'running');
    const { resumeId, input } = await this.conversationToResume(live, session, text);
    const env = await getEnvironment(this.deps.db, session.userId, session.environmentId);
    const vars = parseDotenv(env.envVars).vars;
    const agent = this.agentOf(session);
    const turn = agent.turn({
      mount: AGENT_MOUNT,
      input,
      systemPrompt: systemPrompt(session),
      resumeId,
      model: session.model,
      envFile: ENV_FILE,
    });
    const seen = { result: false };
    let agentSessionId = resumeId;
    const read = new BoundedRead({ signal });
    const budget = read.budget(this.bound('turnBytes', "the agent's output in one turn"));
    const lineBound = this.bound('lineBytes', "a line of the agent's output");
    const parse = agent.turnReader?.() ?? ((line: string) => agent.parseLine(line));
    const lines = read.lines(budget, lineBound, (line) => {
      if (line.trim() === '') return;
      const parsed = parse(line);
      if (parsed.endsTurn) seen.result = true;
      const events: NewEvent[] =
        parsed.endsTurn && interrupted()
          ? parsed.events.map((e) =>
              e.type === 'turn.result' ? { ...e, data: { ...e.data, interrupted: true } } : e,
            )
          : parsed.events;
      const newId =
        parsed.agentSessionId && parsed.agentSessionId !== agentSessionId
          ? parsed.agentSessionId
          : undefined;
      if (newId) agentSessionId = newId;
      // Returned, so the next output waits for it: a flood of lines cannot queue up here.
      return this.chain(live.id, async () => {
        await appendAgentOutput(this.deps.db, live.id, parsed.raw);
        if (newId) await updateSession(this.deps.db, live.id, { agentSessionId: newId });
        await this.deps.log.append(live.id, events);
      });
    });
    const stderr = new OutputBatcher(() => undefined);
    const result = await live.sandbox.exec(turn.argv, {
      cwd: `${HOME}/${session.repoName}`,
      stdin: turn.stdin,
      stdout: lines,
      stderr: read.writer(budget, (chunk) => stderr.add(chunk.toString('utf8'))),
      env: { ...this.sandboxEnv(live.sandbox, vars), ...turn.env },
      signal: read.signal,
    });
    lines.flushRest();
    await this.chains.get(live.id);
    read.finish();
    if (!seen.result) {
      const reason = interrupted() ? undefined : stderr.lastLines().slice(-3).join(' | ');
      this.deps.logger.warn(
        { session: live.id, exitCode: result.exitCode, reason },
        'agent ended without a result',
      );
      const error = reason ? `The agent exited with code ${result.exitCode}: ${reason}` : undefined;
      await this.append(live.id, [
        {
          type: 'turn.result',
          data: { isError: true, interrupted: interrupted(), ...(error ? { error } : {}) },
        },
      ]);
    }
  }

  private async afterTurn(live: Live): Promise<void> {
    const current = () => this.live.get(live.id) === live && !this.stopped;
    if (!current()) return;
    await this.updateDiff(live).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, session: live.id }, 'diff update failed');
    });
    await this.saveConversation(live).catch(async (error: unknown) => {
      if (error instanceof OutputBoundError) {
        await this.fail(live.id, `Could not save the agent's conversation: ${error.message}`);
        return;
      }
      this.deps.logger.warn({ err: error, session: live.id }, 'could not copy the conversation');
    });
    // Hibernated or shutting down meanwhile: that path owns the session's status now.
    if (!current()) return;
    const next = live.queue.shift();
    if (next !== undefined) {
      this.beginTurn(live, next);
      return;
    }
    await this.setStatus(live.id, 'idle');
    // Never what keeps the process alive: a stopping server hibernates sessions itself.
    live.hibernateTimer = setTimeout(
      () => void this.hibernate(live),
      this.options.hibernateAfterMs,
    ).unref();
  }

  /** The work tree against the base commit, untracked files included, the real index untouched. */
  private async updateDiff(live: Live): Promise<void> {
    const session = await loadSession(this.deps.db, live.id);
    if (!session?.baseCommit) return;
    const repo = `${HOME}/${session.repoName}`;
    const index = `${HOME}/.hangar/diff-index`;
    /** Runs git in the sandbox; at most `bound` of its output is kept, cut (not failed) past it. */
    const git = async (args: string[], bound?: OutputBound) => {
      const read = new BoundedRead({
        timeout: { ms: AFTER_TURN_TIMEOUT_MS, what: `git ${args[0] ?? ''} after the turn` },
      });
      const budget = bound ? read.budget(bound, 'truncate') : undefined;
      const out = budget ? read.collect(budget) : undefined;
      const result = await live.sandbox.exec(['git', '-C', repo, ...args], {
        env: { GIT_INDEX_FILE: index },
        ...(out ? { stdout: out } : {}),
        signal: read.signal,
      });
      read.finish();
      if (budget?.truncated) return { text: out?.text() ?? '', truncated: true };
      if (result.exitCode !== 0) throw new Error(`git ${args[0] ?? ''} exited ${result.exitCode}`);
      return { text: out?.text() ?? '', truncated: false };
    };
    await live.sandbox.exec(['mkdir', '-p', `${HOME}/.hangar`]);
    await git(['read-tree', 'HEAD']);
    await git(['add', '-A']);
    // One line whatever the change's size, unlike --numstat's line per file.
    const shortstat = await git(
      ['diff', '--cached', '--shortstat', session.baseCommit],
      this.bound('diffBytes', 'the diff summary'),
    );
    const cut = await git(
      ['diff', '--cached', session.baseCommit],
      this.bound('diffBytes', 'the diff'),
    );
    const diff = cut.truncated ? `${cut.text}\n… diff truncated\n` : cut.text;
    const stats = shortStats(shortstat.text);
    await updateSession(this.deps.db, live.id, {
      diff,
      diffFiles: stats.files,
      additions: stats.additions,
      deletions: stats.deletions,
    });
    await this.append(live.id, [{ type: 'diff.updated', data: stats }]);
  }

  /**
   * Which conversation the next turn resumes. The agent writes its conversation as it
   * goes, so a crash can leave none behind: then the copy saved after the last turn is
   * put back, and with no copy either, a new conversation starts that is told the task.
   */
  private async conversationToResume(
    live: Live,
    session: Session,
    text: string,
  ): Promise<{ resumeId: string | null; input: string }> {
    const id = session.agentSessionId;
    // A stored id that is not a UUID is never passed on as an argument or a path.
    if (!id || !isAgentSessionId(id)) return { resumeId: null, input: text };
    const { conversation } = this.agentOf(session);
    const file = conversation.path(HOME, `${HOME}/${session.repoName}`, id);
    const found = await live.sandbox.exec(conversation.existsCommand(id, AGENT_MOUNT));
    if (found.exitCode === 0) return { resumeId: id, input: text };
    const saved = await readFile(conversationFile(this.deps.dataDir, live.id), 'utf8').catch(
      () => undefined,
    );
    if (saved !== undefined) {
      const put = await live.sandbox.exec(
        ['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat > "$1"', 'restore', file],
        {
          stdin: saved,
        },
      );
      const loaded =
        put.exitCode === 0 && conversation.importCommand
          ? await live.sandbox.exec(conversation.importCommand(file, AGENT_MOUNT))
          : put;
      if (loaded.exitCode === 0) return { resumeId: id, input: text };
    }
    this.deps.logger.warn(
      { session: live.id },
      'the conversation was lost in a crash; starting a new one',
    );
    const input = `(The earlier conversation of this session was lost when the server stopped. The task was:\n${session.prompt})\n\n${text}`;
    return { resumeId: null, input };
  }

  /**
   * Copies the agent's conversation out of the sandbox after each turn, so teleport can
   * hand it to the agent on a person's machine even while the sandbox is stopped.
   */
  private async saveConversation(live: Live): Promise<void> {
    const session = await loadSession(this.deps.db, live.id);
    if (!session?.agentSessionId || !isAgentSessionId(session.agentSessionId)) return;
    // The file is the sandbox's: it may be a symlink to /dev/zero or a FIFO. Hence a bound,
    // a time limit, and a write straight to disk that keeps the last copy until it is whole.
    const read = new BoundedRead({
      timeout: { ms: AFTER_TURN_TIMEOUT_MS, what: "reading the agent's conversation" },
    });
    const file = read.toFile(
      read.budget(this.bound('conversationBytes', "the agent's conversation file")),
      conversationFile(this.deps.dataDir, live.id),
    );
    const result = await live.sandbox.exec(
      this.agentOf(session).conversation.readCommand(session.agentSessionId, AGENT_MOUNT),
      { stdout: file, signal: read.signal },
    );
    if (result.exitCode !== 0 && !read.failed) {
      await file.discard();
      throw new Error(`no conversation file (exit ${result.exitCode})`);
    }
    await file.save();
  }

  // --- hibernation ---

  private async hibernate(live: Live): Promise<void> {
    clearTimeout(live.hibernateTimer);
    if (this.live.get(live.id) !== live) return;
    // Out of the map first: the ending turn then starts no other and schedules nothing.
    this.live.delete(live.id);
    const turn = live.turn;
    turn?.abort.abort();
    // Stopping the sandbox ends every process in it, the agent's tools included, so the
    // turn's exec returns even when a tool process still held its output open.
    await live.sandbox.stop();
    await turn?.done.catch(() => undefined);
    await live.attachment.detach();
    await this.setStatus(live.id, 'hibernated');
    await updateSession(this.deps.db, live.id, { leaseOwner: null, leaseExpiresAt: null });
  }

  private async resume(session: Session): Promise<void> {
    try {
      await updateSession(this.deps.db, session.id, {
        leaseOwner: this.id,
        leaseExpiresAt: new Date(Date.now() + this.options.leaseMs),
      });
      const agent = await this.deps.installAgent(this.agentOf(session));
      const env = await getEnvironment(this.deps.db, session.userId, session.environmentId);
      const live = await this.startSandbox(session, env, agent.dir);
      this.live.set(session.id, live);
      const next = live.queue.shift();
      if (next === undefined) await this.afterTurn(live);
      else this.beginTurn(live, next);
    } catch (error) {
      await this.fail(
        session.id,
        `Could not resume: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  // --- helpers ---

  private agentOf(session: Session): Agent {
    return (this.deps.agentFor ?? agentFor)(session.agent);
  }

  private readonly pendingQueues = new Map<string, string[]>();

  /** Messages that arrive before a session's sandbox is up wait here. */
  private queueFor(id: string): string[] {
    const live = this.live.get(id);
    if (live) return live.queue;
    let queue = this.pendingQueues.get(id);
    if (!queue) this.pendingQueues.set(id, (queue = []));
    return queue;
  }

  private takeQueue(id: string): string[] {
    const queue = this.pendingQueues.get(id) ?? [];
    this.pendingQueues.delete(id);
    return queue;
  }

  private track(id: string, work: Promise<void>): void {
    const tracked = work.finally(() => this.starting.delete(id));
    this.starting.set(id, tracked);
  }

  /** The environment's vars under the gateway's: a user's HTTP_PROXY cannot route around it. */
  private sandboxEnv(sandbox: Sandbox, vars: Record<string, string>): Record<string, string> {
    return { HOME, ...vars, ...sandboxEnv(sandbox.gateway ?? '127.0.0.1:9') };
  }

  private async setStatus(
    id: string,
    status: SessionStatus,
    subStep?: ProvisioningStep,
  ): Promise<void> {
    await updateSession(this.deps.db, id, { status, subStep: subStep ?? null });
    await this.append(id, [
      { type: 'session.status', data: { status, ...(subStep ? { subStep } : {}) } },
    ]);
    // A turn ended: its user's next queued session may start now.
    if (status !== 'provisioning' && status !== 'running') this.kick();
  }

  private async fail(id: string, reason: string): Promise<void> {
    const live = this.live.get(id);
    if (live) {
      this.live.delete(id);
      await live.sandbox.stop().catch(() => undefined);
      await live.attachment.detach().catch(() => undefined);
    }
    await updateSession(this.deps.db, id, {
      status: 'failed',
      subStep: null,
      failureReason: reason,
      leaseOwner: null,
    });
    await this.append(id, [{ type: 'session.status', data: { status: 'failed', reason } }]);
    this.kick();
  }

  private append(id: string, events: NewEvent[]): Promise<unknown> {
    return this.chain(id, () => this.deps.log.append(id, events));
  }

  /** Runs `work` after everything queued for the session, keeping the log in order. */
  private chain(id: string, work: () => Promise<unknown>): Promise<unknown> {
    const previous = this.chains.get(id) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.chains.set(id, next);
    void next
      .catch((error: unknown) => {
        this.deps.logger.error({ err: error, session: id }, 'could not record session events');
      })
      .finally(() => {
        if (this.chains.get(id) === next) this.chains.delete(id);
      });
    return next;
  }

  /** A bound from the operator's limits, named for the failure message. */
  private bound(limit: keyof OutputLimits, what: string): OutputBound {
    return { what, maxBytes: this.options.outputLimits[limit], setting: LIMIT_SETTINGS[limit] };
  }

  private bareRepo(id: string): string {
    return sessionBareRepo(this.deps.dataDir, id);
  }
}

/** The setting behind each output limit, named in failure messages. */
const LIMIT_SETTINGS: Record<keyof OutputLimits, string> = {
  lineBytes: 'HANGAR_MAX_OUTPUT_LINE_MB',
  turnBytes: 'HANGAR_MAX_TURN_OUTPUT_MB',
  setupBytes: 'HANGAR_MAX_SETUP_OUTPUT_MB',
  conversationBytes: 'HANGAR_MAX_CONVERSATION_MB',
  diffBytes: 'HANGAR_MAX_DIFF_MB',
  repoBytes: 'HANGAR_MAX_REPO_MB',
};

/** `3 files changed, 10 insertions(+), 2 deletions(-)` → its numbers (absent parts are 0). */
export function shortStats(line: string): { files: number; additions: number; deletions: number } {
  const count = (pattern: RegExp) => Number(pattern.exec(line)?.[1] ?? 0);
  return {
    files: count(/([0-9]+) files? changed/),
    additions: count(/([0-9]+) insertions?\(\+\)/),
    deletions: count(/([0-9]+) deletions?\(-\)/),
  };
}

/** The key the git proxy knows a session's repo by: `host/owner/repo`, or Hangar's own. */
export function repoKey(session: Pick<Session, 'id' | 'source' | 'repoName'>): string {
  const source = session.source as Source;
  if (source.type === 'bundle') return `hangar.local/${session.id}/${session.repoName}`;
  const url = new URL(source.url);
  return `${url.host}${url.pathname.replace(/\.git$/, '').replace(/\/+$/, '')}`;
}

function upstreamOf(session: Session, bareRepo: string, maxBytes: number): GitUpstream {
  const source = session.source as Source;
  return source.type === 'bundle' ? { repoDir: bareRepo, maxBytes } : { url: source.url };
}

function systemPrompt(session: Session): string {
  return [
    'You are running in a Hangar cloud session: an isolated sandbox with a fresh clone of the repository.',
    `Work on the git branch "${session.branch ?? ''}" (already checked out).`,
    'When you have finished a change, commit it with a clear message and push it with `git push origin HEAD`.',
    'Pushes to any other branch are refused.',
  ].join(' ');
}
