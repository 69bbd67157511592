import type { Logger } from 'pino';
import { runInBackground } from '../background.js';
import { ConflictError } from '../errors.js';
import { loadSession } from '../store/sessions.js';
import {
  claimDueSchedule,
  claimStalledRun,
  earliestDue,
  finishRun,
  getRun,
  insertManualRun,
  type ClaimedRun,
  type Schedule,
  type ScheduleRun,
} from '../store/schedules.js';
import type { Db } from '../store/store.js';
import { nextRun } from './cron.js';

export interface SchedulerDeps {
  db: Db;
  logger: Logger;
  /** Names this server in run leases; stable across restarts (the runner's id). */
  owner: string;
  /** Makes a run's session: a normal session, with the id the run chose for it. */
  startSession: (schedule: Schedule, sessionId: string) => Promise<void>;
  clock?: () => Date;
  /** How long a run may take to make its session before another server may (default 5 min). */
  leaseMs?: number;
  /** The longest sleep between looks (default 30 s), so schedules made elsewhere are seen. */
  maxSleepMs?: number;
}

/**
 * Starts schedules' runs when they are due. Each look takes due schedules one by one
 * under a row lock and moves each to its next time in the same transaction (see
 * `claimDueSchedule`), then makes the run's session. Runs left half-started by a
 * server that stopped are finished by the next look, never started twice.
 */
export class Scheduler {
  private readonly clock: () => Date;
  private readonly leaseMs: number;
  private readonly maxSleepMs: number;
  /** Looks run one after another; a kick during one queues the next. */
  private looking: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: SchedulerDeps) {
    this.clock = deps.clock ?? (() => new Date());
    this.leaseMs = deps.leaseMs ?? 5 * 60_000;
    this.maxSleepMs = deps.maxSleepMs ?? 30_000;
  }

  /** Finishes runs this server left half-started, then looks for due schedules. */
  async start(): Promise<void> {
    await this.look({ includeOwn: true });
  }

  /** Looks now (a schedule was made, edited or resumed). */
  kick(): void {
    if (this.stopped) return;
    runInBackground('looking for due schedules', this.tick(), { logger: this.deps.logger });
  }

  /** Starts every run due at the clock's time; resolves when they are started. */
  tick(): Promise<void> {
    return this.look({ includeOwn: false });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.looking;
  }

  /**
   * `hangar schedule run`: a run now, outside the cron (its next time is kept). A 409
   * while the previous run still works; a run that cannot start is recorded and its
   * reason thrown.
   */
  async runNow(schedule: Schedule): Promise<ScheduleRun> {
    const inserted = await insertManualRun(this.deps.db, schedule, {
      owner: this.deps.owner,
      now: this.clock(),
      leaseMs: this.leaseMs,
    });
    if ('busy' in inserted) {
      throw new ConflictError(
        `The previous run of this schedule (${inserted.busy}) is still running; wait for it to finish.`,
      );
    }
    await this.startRun({ schedule, run: inserted.run }, { rethrow: true });
    return (await getRun(this.deps.db, inserted.run.id)) ?? inserted.run;
  }

  private look(options: { includeOwn: boolean }): Promise<void> {
    const next = this.looking.then(() => this.lookOnce(options));
    this.looking = next.catch((error: unknown) =>
      this.deps.logger.error({ err: error }, 'looking for due schedules failed'),
    );
    return next;
  }

  private async lookOnce(options: { includeOwn: boolean }): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.timer);
    const { db, owner } = this.deps;
    const now = this.clock();
    try {
      for (;;) {
        const stalled = await claimStalledRun(db, {
          owner,
          now,
          leaseMs: this.leaseMs,
          includeOwn: options.includeOwn,
        });
        if (!stalled) break;
        await this.startRun(stalled, { rethrow: false });
      }
      for (;;) {
        const claimed = await claimDueSchedule(db, {
          owner,
          now,
          leaseMs: this.leaseMs,
          // From now, not from the missed time: a server that was down runs it once.
          next: (s) => nextRun(s, now),
        });
        if (!claimed) break;
        if (claimed.run.status === 'starting') await this.startRun(claimed, { rethrow: false });
        else {
          this.deps.logger.info(
            { schedule: claimed.schedule.id, reason: claimed.run.reason },
            'scheduled run skipped',
          );
        }
      }
    } finally {
      await this.sleep();
    }
  }

  /** Makes the run's session, unless a previous attempt already made it, and records how it went. */
  private async startRun(claimed: ClaimedRun, options: { rethrow: boolean }): Promise<void> {
    const { schedule, run } = claimed;
    const { db, logger } = this.deps;
    const sessionId = run.sessionId;
    if (!sessionId) return;
    try {
      if (!(await loadSession(db, sessionId))) await this.deps.startSession(schedule, sessionId);
      await finishRun(db, run.id, { status: 'started' });
      logger.info({ schedule: schedule.id, session: sessionId }, 'scheduled run started');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await finishRun(db, run.id, { status: 'failed', reason });
      logger.warn({ schedule: schedule.id, reason }, 'scheduled run could not start');
      if (options.rethrow) throw error;
    }
  }

  /** Sleeps until the earliest due schedule, or at most `maxSleepMs`. */
  private async sleep(): Promise<void> {
    if (this.stopped) return;
    const due = await earliestDue(this.deps.db);
    const wait = due ? due.getTime() - this.clock().getTime() : this.maxSleepMs;
    const ms = Math.min(Math.max(wait, 100), this.maxSleepMs);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }
}
