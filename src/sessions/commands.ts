import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { agentFor, checkMessage } from '../agents/index.js';
import { ConflictError, HangarError } from '../errors.js';
import { newId } from '../ids.js';
import { notify, type PgListener } from '../store/listener.js';
import {
  insertCommand,
  loadCommand,
  withdrawCommand,
  type SessionCommandRow,
} from '../store/session-commands.js';
import { loadSession, updateSession, type Session } from '../store/sessions.js';
import type { Db } from '../store/store.js';
import type { EventLog } from './event-log.js';
import type { Runner } from './runner.js';

/** The NOTIFY channel of session commands: `{id, runnerId}` when sent, `{done: id}` when answered. */
export const COMMANDS_CHANNEL = 'hangar_commands';

/** What git in a session's sandbox answers. */
export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * What the API asks of the runner holding a session. One process (`hangar serve` on
 * its own) calls its runner directly; in a cluster the command goes to whichever runner
 * holds the session (see `CommandRouter`).
 */
export interface SessionCommands {
  /** A user's message: delivered now if the agent waits, else queued for the next turn. */
  sendMessage(session: Session, text: string): Promise<{ queued: boolean }>;
  /** Stops the running turn; false when none ran. */
  interrupt(session: Session): Promise<boolean>;
  /** Hides the session from lists; its sandbox is stopped when idle. */
  archive(session: Session): Promise<void>;
  /** Deletes the session for good, with its sandbox and data. */
  delete(session: Session): Promise<void>;
  /** Git in the session's started sandbox; undefined when it is not started. */
  gitInSession(id: string, args: string[]): Promise<GitResult | undefined>;
  /** Tells runners a session was queued. */
  kick(): void;
}

/** A command as stored: its kind and arguments. */
export type CommandKind = 'message' | 'interrupt' | 'archive' | 'delete' | 'git';

/** How long an API node waits for a runner's answer before saying none came. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 30_000;

/** How the router reaches other processes' runners (PostgreSQL only). */
export interface ClusterLink {
  listener: PgListener;
  log: EventLog;
  logger: Logger;
  /** How long to wait for a runner's answer (default DEFAULT_COMMAND_TIMEOUT_MS). */
  timeoutMs?: number;
}

/**
 * Routes the API's commands to the runner that holds each session: this process's own
 * runner directly (no table round trip, so one machine is as fast as ever), another
 * process's through the `session_commands` table and a NOTIFY, waiting for its answer.
 * A session nobody holds (hibernated, or its runner gone) is taken by a runner with
 * room: this process's when it has the session's sandbox, else any (see CommandWorker).
 */
export class CommandRouter implements SessionCommands {
  private readonly waiters = new Map<string, () => void>();

  constructor(
    private readonly db: Db,
    /** This process's runner; absent on an API node (`hangar serve --no-runner`). */
    private readonly runner: Runner | undefined,
    /** Absent on the embedded store: everything is this process's. */
    private readonly cluster?: ClusterLink,
  ) {
    cluster?.listener.on(COMMANDS_CHANNEL, (payload) => {
      const done = parseDone(payload);
      if (done) this.waiters.get(done)?.();
    });
    // Answers may have come while the listener was away: every waiter looks again.
    cluster?.listener.onReconnect(() => {
      for (const wake of this.waiters.values()) wake();
    });
  }

  async sendMessage(session: Session, text: string): Promise<{ queued: boolean }> {
    const where = await this.route(session);
    if (where.local) return where.local.sendMessage(session, text);
    // Refused here at once, as the runner would: a wait for nothing helps nobody.
    checkMessage(agentFor(session.agent), text, 'text');
    if (session.status === 'failed') {
      throw new ConflictError(
        `Session ${session.id} failed (${session.failureReason ?? 'no reason recorded'}): start a new one.`,
      );
    }
    const answer = await this.send(session, 'message', { text }, where.runnerId);
    return { queued: (answer as { queued?: boolean } | null)?.queued ?? true };
  }

  async interrupt(session: Session): Promise<boolean> {
    const where = await this.route(session);
    if (where.local) return where.local.interrupt(session.id);
    // Nobody holds it: no turn runs anywhere.
    if (where.runnerId === null) return false;
    return (await this.send(session, 'interrupt', {}, where.runnerId)) === true;
  }

  async archive(session: Session): Promise<void> {
    const where = await this.route(session);
    if (where.local) return where.local.archive(session);
    if (where.runnerId === null) {
      // No sandbox is up to stop: the row is all there is to change.
      await updateSession(this.db, session.id, { archivedAt: new Date() });
      this.cluster?.log.announce({
        type: 'archived',
        sessionId: session.id,
        userId: session.userId,
      });
      return;
    }
    await this.send(session, 'archive', {}, where.runnerId);
  }

  async delete(session: Session): Promise<void> {
    const where = await this.route(session);
    if (where.local) return where.local.delete(session);
    await this.send(session, 'delete', {}, where.runnerId);
  }

  async gitInSession(id: string, args: string[]): Promise<GitResult | undefined> {
    const session = await loadSession(this.db, id);
    if (!session) return undefined;
    const where = await this.route(session);
    if (where.local) return where.local.gitInSession(id, args);
    // Nobody holds it: its sandbox is not started anywhere.
    if (where.runnerId === null) return undefined;
    const answer = await this.send(session, 'git', { args }, where.runnerId);
    return (answer as GitResult | null) ?? undefined;
  }

  kick(): void {
    this.runner?.kick();
    if (this.cluster) {
      const payload = JSON.stringify({ kick: randomBytes(4).toString('hex') });
      notify(this.db, COMMANDS_CHANNEL, payload).catch((error: unknown) => {
        // Runners poll for queued sessions anyway; this only saves them the wait.
        this.cluster?.logger.warn({ err: error }, 'could not tell runners of a queued session');
      });
    }
  }

  /**
   * Where a session's command runs: `local` (this process's runner), or the runner named
   * by `runnerId` (null: any runner with room).
   */
  private async route(
    session: Session,
  ): Promise<
    { local: Runner; runnerId?: undefined } | { local?: undefined; runnerId: string | null }
  > {
    const runner = this.runner;
    if (!this.cluster) {
      if (!runner) throw new Error('a single process serves sessions only with its runner');
      return { local: runner };
    }
    const held =
      session.leaseOwner !== null &&
      session.leaseExpiresAt !== null &&
      session.leaseExpiresAt.getTime() > Date.now();
    if (held) {
      return session.leaseOwner === runner?.id
        ? { local: runner }
        : { runnerId: session.leaseOwner as string };
    }
    if (runner && (await runner.hasSandbox(session))) return { local: runner };
    return { runnerId: null };
  }

  /** Stores a command, tells the runners, and waits for its answer. */
  private async send(
    session: Session,
    kind: CommandKind,
    args: Record<string, unknown>,
    runnerId: string | null,
  ): Promise<unknown> {
    const cluster = this.cluster;
    if (!cluster) throw new Error('commands are sent only within a cluster');
    const id = newId('cmd');
    await insertCommand(this.db, { id, sessionId: session.id, kind, args, runnerId });
    const done = await this.wait(id, cluster.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS, () =>
      notify(this.db, COMMANDS_CHANNEL, JSON.stringify({ id, runnerId })),
    );
    if (!done) {
      const withdrawn = await withdrawCommand(this.db, id);
      const seconds = Math.round((cluster.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS) / 1000);
      throw new HangarError(
        'runner_unavailable',
        503,
        runnerId
          ? `Runner ${runnerId}, which holds session ${session.id}, did not answer within ${seconds} s` +
              (withdrawn ? '; nothing was done. Try again shortly.' : '; it may still act on it.')
          : `No runner took session ${session.id}'s ${kind} within ${seconds} s: is a runner up with room (hangar runners)?` +
              (withdrawn ? ' Nothing was done.' : ''),
      );
    }
    if (done.error)
      throw new HangarError(done.error.code, statusOf(done.error.status), done.error.message);
    return done.result;
  }

  /** The answered command, or undefined after `timeoutMs`. */
  private async wait(
    id: string,
    timeoutMs: number,
    sent: () => Promise<void>,
  ): Promise<SessionCommandRow | undefined> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => undefined;
    this.waiters.set(id, () => wake());
    try {
      await sent();
      for (;;) {
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const found = await loadCommand(this.db, id);
        if (found?.doneAt) return found;
        const left = deadline - Date.now();
        if (left <= 0) return undefined;
        // A missed notification costs at most a second.
        await Promise.race([woken, new Promise((r) => setTimeout(r, Math.min(left, 1000)))]);
      }
    } finally {
      this.waiters.delete(id);
    }
  }
}

function parseDone(payload: string): string | undefined {
  try {
    const parsed = JSON.parse(payload) as { done?: unknown };
    return typeof parsed.done === 'string' ? parsed.done : undefined;
  } catch {
    return undefined;
  }
}

const STATUSES = [400, 401, 403, 404, 409, 413, 422, 429, 500, 503] as const;

/** A status a runner answered, as one HangarError carries (anything else is a 503). */
function statusOf(status: number): HangarError['status'] {
  return STATUSES.find((s) => s === status) ?? 503;
}
