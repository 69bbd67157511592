import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import type { Agent } from '../agents/agent.js';
import { agentFor, checkMessage } from '../agents/index.js';
import { runInBackground } from '../background.js';
import { bundlePath, sessionDir } from '../data-dir.js';
import { ConflictError } from '../errors.js';
import { deleteUnusedBundles } from '../store/bundles.js';
import { heartbeat, removeRunner } from '../store/runners.js';
import { packageVersion } from '../version.js';
import {
  claimExpired,
  claimQueued,
  deleteSessionRow,
  loadSession,
  markWaiting,
  orphanedSessions,
  renewLeases,
  updateSession,
  type Session,
} from '../store/sessions.js';
import {
  DEFAULT_RUNNER_OPTIONS,
  outputBound,
  type RunnerDeps,
  type RunnerOptions,
  type SessionContext,
} from './context.js';
import { LiveSession } from './live-session.js';
import type { Source } from './source.js';
import { gitInRepo } from './workspace.js';

/** At most this many sessions are taken over from dead runners per lease tick. */
const TAKEOVER_BATCH = 20;

/** How often unused bundles past their time are looked for. */
const BUNDLE_SWEEP_MS = 10 * 60_000;

/** A runner id that stays the same for one data dir on one host. */
export function runnerIdFor(dataDir: string): string {
  return `runner-${hostname()}-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

/**
 * Runs sessions: claims queued ones under a row lease, renews the leases it holds,
 * and recovers what a crash left behind. Each session it works on is a `LiveSession`,
 * which provisions it, runs its turns and hibernates it; every step is recorded in
 * the session's log.
 */
export class Runner {
  /**
   * Names this runner in session leases. Stable across restarts of one server (see
   * `runnerIdFor`), so a restarted server recognises the sessions it held at once.
   */
  readonly id: string;
  private readonly options: RunnerOptions;
  /** The sessions this runner works on, one object each. */
  private readonly sessions = new Map<string, LiveSession>();
  private readonly context: SessionContext;
  private pollTimer: NodeJS.Timeout | undefined;
  private leaseTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private takingOver = false;
  /** A kick that came while polling: poll once more when done, since a slot may have freed. */
  private kickedWhilePolling = false;
  private stopped = false;
  private readonly startedAt = new Date();

  constructor(private readonly deps: RunnerDeps) {
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...deps.options };
    this.id = deps.runnerId ?? `runner-${randomBytes(6).toString('hex')}`;
    const pick = deps.agentFor ?? agentFor;
    this.context = {
      deps,
      options: this.options,
      runnerId: this.id,
      stopping: () => this.stopped,
      kick: () => this.kick(),
      agentOf: (session: Session): Agent => pick(session.agent),
    };
  }

  /** Recovers sessions a previous process left mid-way, then starts claiming. */
  async start(): Promise<void> {
    await this.recover();
    await this.beat();
    this.leaseTimer = setInterval(() => {
      this.inBackground('renewing leases', this.renewLeases());
      this.inBackground('taking over sessions of runners that stopped', this.takeOver());
      this.inBackground('announcing this runner', this.beat());
    }, this.options.leaseMs / 3);
    const sweep = () => this.inBackground('sweeping unused bundles', this.sweepBundles());
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
    this.inBackground('looking for queued sessions', this.poll());
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
    const all = () => [...this.sessions.values()];
    await Promise.allSettled(all().flatMap((s) => (s.starting ? [s.starting] : [])));
    await Promise.allSettled(all().map((s) => s.hibernateNow()));
    await Promise.allSettled(all().map((s) => s.drained()));
    await removeRunner(this.deps.db, this.id).catch((error: unknown) => {
      this.deps.logger.warn({ err: error }, 'could not remove this runner from the runners table');
    });
  }

  /** Sessions set up or running a turn here now (what capacity bounds). */
  activeCount(): number {
    return [...this.sessions.values()].filter((s) => s.active).length;
  }

  /** True while this runner can take one more session. */
  hasRoom(): boolean {
    return !this.stopped && this.activeCount() < this.options.capacity;
  }

  /** True when this runner holds `session`, or has its stopped sandbox on its disk. */
  async hasSandbox(session: Session): Promise<boolean> {
    if (this.sessions.get(session.id)?.started) return true;
    if (!session.sandboxId) return false;
    return this.deps.driver.get(session.sandboxId).then(
      () => true,
      () => false,
    );
  }

  /** Upserts this runner's row in `runners` (`hangar runners` lists them). */
  private async beat(): Promise<void> {
    const all = [...this.sessions.values()];
    await heartbeat(this.deps.db, {
      id: this.id,
      host: hostname(),
      version: packageVersion(),
      capacity: this.options.capacity,
      held: all.filter((s) => s.leased).length,
      active: all.filter((s) => s.active).length,
      startedAt: this.startedAt,
    });
  }

  /** A user's message: delivered now if the agent is waiting, else queued for the next turn. */
  async sendMessage(session: Session, text: string): Promise<{ queued: boolean }> {
    checkMessage(this.context.agentOf(session), text, 'text');
    if (session.status === 'failed') {
      throw new ConflictError(
        `Session ${session.id} failed (${session.failureReason ?? 'no reason recorded'}): start a new one.`,
      );
    }
    await this.session(session.id).append([{ type: 'message.user', data: { text } }], {
      fenced: false,
    });
    return this.session(session.id).deliver(session, text);
  }

  /** Stops the running turn, if any (see `LiveSession.interrupt`). */
  interrupt(sessionId: string): boolean {
    return this.sessions.get(sessionId)?.interrupt() ?? false;
  }

  /**
   * Runs git in a live session's repo, as the sandbox's user through its gateway (so a
   * push goes through the git proxy, like the agent's); undefined when the sandbox is
   * not running. Create PR uses it to see and push the branch.
   */
  async gitInSession(
    id: string,
    args: string[],
  ): Promise<{ exitCode: number; stdout: string; stderr: string } | undefined> {
    const sandbox = this.sessions.get(id)?.sandbox;
    const session = sandbox && (await loadSession(this.deps.db, id));
    if (!sandbox || !session) return undefined;
    const bound = outputBound(
      this.options.outputLimits,
      'diffBytes',
      `the output of git ${args[0] ?? ''}`,
    );
    return gitInRepo(sandbox, session, args, bound);
  }

  /** Archives a session: hidden from lists; its sandbox is stopped when idle. */
  async archive(session: Session): Promise<void> {
    await updateSession(this.deps.db, session.id, { archivedAt: new Date() });
    this.deps.log.announce({
      type: 'archived',
      sessionId: session.id,
      userId: session.userId,
    });
    await this.sessions.get(session.id)?.hibernateIfIdle();
  }

  /** Deletes a session for good: sandbox, disk, repo mirror, events, and its bundle. */
  async delete(session: Session): Promise<void> {
    const live = this.sessions.get(session.id);
    const started = await live?.close();
    const sandboxId = started?.id ?? (await loadSession(this.deps.db, session.id))?.sandboxId;
    if (sandboxId) {
      const sandbox = await this.deps.driver.get(sandboxId).catch(() => undefined);
      await sandbox?.destroy();
    }
    await live?.drained().catch(() => undefined);
    if (live && this.sessions.get(session.id) === live) this.sessions.delete(session.id);
    await rm(sessionDir(this.deps.dataDir, session.id), {
      recursive: true,
      force: true,
    });
    await deleteSessionRow(this.deps.db, session.id);
    this.deps.log.announce({
      type: 'deleted',
      sessionId: session.id,
      userId: session.userId,
    });
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

  /** Renews the leases of the sessions this runner works on; lets go of those it lost. */
  private async renewLeases(): Promise<void> {
    const leased = [...this.sessions.values()].filter((s) => s.leased);
    const ids = leased.map((s) => s.id);
    const held = new Set(await renewLeases(this.deps.db, this.id, ids, this.options.leaseMs));
    for (const live of leased) if (!held.has(live.id) && live.leased) live.leaseLost();
  }

  /**
   * Takes the sessions of runners whose leases ran out (killed, host gone) and continues
   * them here (see `LiveSession.takeOver`). Runs on every lease tick, so a session is
   * moved within a lease and a third of its dead runner's last renewal.
   */
  private async takeOver(): Promise<void> {
    if (this.stopped || this.takingOver) return;
    // Like queued sessions, taken ones stop at this runner's capacity; the rest wait
    // for another runner, or for a turn here to end.
    const room = Math.min(TAKEOVER_BATCH, this.options.capacity - this.activeCount());
    if (room <= 0) return;
    this.takingOver = true;
    try {
      const taken = await claimExpired(this.deps.db, this.id, this.options.leaseMs, room);
      for (const { session, previousOwner } of taken) {
        this.deps.logger.warn(
          { session: session.id, from: previousOwner },
          'taking over a session whose runner stopped renewing its lease',
        );
        const live = this.session(session.id);
        live.track(
          live.takeOver(session, previousOwner).catch((error: unknown) => {
            this.deps.logger.error({ err: error, session: session.id }, 'taking over failed');
            return live.fail(`Could not move the session to this runner: ${String(error)}`);
          }),
        );
      }
    } finally {
      this.takingOver = false;
    }
  }

  private inBackground(what: string, work: Promise<unknown>): void {
    runInBackground(what, work, { logger: this.deps.logger });
  }

  /** The session's one live object, made on first need. */
  private session(id: string): LiveSession {
    let live = this.sessions.get(id);
    if (!live) {
      live = new LiveSession(id, this.context, (quiet) => {
        if (this.sessions.get(id) === quiet) this.sessions.delete(id);
      });
      this.sessions.set(id, live);
    }
    return live;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    this.kickedWhilePolling = false;
    const { db } = this.deps;
    const max = this.options.maxSessionsPerUser;
    try {
      // At capacity, the rest stay queued for another runner, or until a turn here ends.
      while (this.hasRoom()) {
        const session = await claimQueued(db, this.id, this.options.leaseMs, max);
        if (!session) break;
        const live = this.session(session.id);
        live.track(live.provision(session));
      }
      // Those left queued belong to users at their limit: say so in their logs, once.
      for (const { id, detail } of await markWaiting(db, max)) {
        await this.session(id).append([
          {
            type: 'session.status',
            data: { status: 'queued', reason: detail },
          },
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
        this.pollTimer = setTimeout(() => {
          this.inBackground('looking for queued sessions', this.poll());
        }, wait);
      }
    }
  }

  /** After a crash: nothing stays stuck, and an interrupted turn is said to be one. */
  private async recover(): Promise<void> {
    for (const session of await orphanedSessions(this.deps.db, this.id)) {
      if (session.status === 'provisioning') {
        await this.session(session.id).fail(
          'Hangar restarted while this session was being prepared; start a new session.',
        );
        continue;
      }
      if (session.status === 'running') {
        await this.session(session.id).append([
          { type: 'turn.result', data: { isError: true, interrupted: true } },
        ]);
      }
      // The sandbox's processes died with the old server; its disk is intact.
      const sandbox = session.sandboxId
        ? await this.deps.driver.get(session.sandboxId).catch(() => undefined)
        : undefined;
      await sandbox?.stop().catch(() => undefined);
      await this.session(session.id).setStatus('hibernated');
      await updateSession(this.deps.db, session.id, {
        leaseOwner: null,
        leaseExpiresAt: null,
      });
    }
  }
}
