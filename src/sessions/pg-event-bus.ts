import { randomBytes } from 'node:crypto';
import { gte } from 'drizzle-orm';
import type { Logger } from 'pino';
import { readEvents } from '../store/events.js';
import { notify, type PgListener } from '../store/listener.js';
import { sessions } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { EventBus, type SessionChange } from './event-log.js';
import type { SessionEvent } from './events.js';

/** The NOTIFY channel of session changes. */
export const EVENTS_CHANNEL = 'hangar_events';

/**
 * What a notification carries: who sent it, which session, what kind of change and,
 * for appends, the seq range. Never the events: a payload is capped at 8000 bytes, and
 * the log is the source of truth, so a follower reads them from there.
 */
interface Notice {
  origin: string;
  type: SessionChange['type'];
  sessionId: string;
  userId: string;
  from?: number;
  to?: number;
}

/**
 * The event bus of a cluster: changes made in this process wake its followers at once
 * (as `EventBus` does) and are announced to the other processes by PostgreSQL NOTIFY;
 * theirs arrive through `listener` and wake followers with an empty batch, on which they
 * read the log again (events published here are handed over as they are), so
 * a missed or repeated notification loses or doubles nothing; after the listener
 * reconnects, every follower here is woken and every session changed meanwhile is
 * announced as `changed`.
 */
export class PgEventBus extends EventBus {
  /** Tells this process's own notifications (already delivered here) from others'. */
  private readonly origin = randomBytes(8).toString('hex');
  /** Remote changes are handled one after the other, so watchers see them in order. */
  private handling: Promise<void> = Promise.resolve();
  private sending: Promise<void> = Promise.resolve();
  private readonly unlisten: (() => void)[];

  constructor(
    private readonly db: Db,
    listener: PgListener,
    private readonly logger: Logger,
  ) {
    super();
    this.unlisten = [
      listener.on(EVENTS_CHANNEL, (payload) => this.received(payload)),
      listener.onReconnect((lostAt) => this.catchUp(lostAt)),
    ];
  }

  override announce(change: SessionChange): void {
    super.announce(change);
    const notice: Notice = {
      origin: this.origin,
      type: change.type,
      sessionId: change.sessionId,
      userId: change.userId,
      ...(change.type === 'appended' ? seqRange(change.events) : {}),
    };
    // One after the other: notifications sent on two pooled connections may cross.
    this.sending = this.sending
      .then(() => notify(this.db, EVENTS_CHANNEL, JSON.stringify(notice)))
      .catch((error: unknown) => {
        // Followers elsewhere learn of it with the next change, or when they reconnect.
        this.logger.warn({ err: error, session: change.sessionId }, 'could not notify a change');
      });
  }

  /** Stops handling notifications (the listener is closed by its owner). */
  close(): void {
    for (const stop of this.unlisten) stop();
  }

  private received(payload: string): void {
    let notice: Notice;
    try {
      notice = JSON.parse(payload) as Notice;
    } catch {
      return;
    }
    if (notice.origin === this.origin) return;
    this.handling = this.handling
      .then(() => this.deliver(notice))
      .catch((error: unknown) => {
        this.logger.warn({ err: error, session: notice.sessionId }, 'could not read a change');
      });
  }

  private async deliver(notice: Notice): Promise<void> {
    const { sessionId, userId } = notice;
    if (notice.type !== 'appended') {
      super.announce({ type: notice.type, sessionId, userId });
      return;
    }
    const from = notice.from ?? 1;
    const to = notice.to ?? from;
    // Only the session lists need the events themselves; followers read the log anyway.
    const events = this.watched()
      ? await readEvents(this.db, sessionId, from - 1, Math.min(to - from + 1, 500))
      : [];
    this.publish(sessionId, events);
    super.announce({ type: 'appended', sessionId, userId, events });
  }

  /** After a reconnection: wake every follower, and say which sessions changed meanwhile. */
  private catchUp(lostAt: Date): void {
    // A margin for clocks: the rows' times are this host's, or another's.
    const since = new Date(lostAt.getTime() - 60_000);
    this.handling = this.handling
      .then(async () => {
        for (const name of this.emitter.eventNames()) {
          if (typeof name === 'string') this.publish(name, []);
        }
        const changed = await this.db
          .select({ sessionId: sessions.id, userId: sessions.userId })
          .from(sessions)
          .where(gte(sessions.updatedAt, since));
        for (const { sessionId, userId } of changed) {
          super.announce({ type: 'changed', sessionId, userId });
        }
      })
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not catch up after reconnecting');
      });
  }
}

function seqRange(events: SessionEvent[]): { from?: number; to?: number } {
  const first = events[0];
  const last = events.at(-1);
  return first && last ? { from: first.seq, to: last.seq } : {};
}
