import { EventEmitter } from 'node:events';
import { insertEvents, readEvents, readEventsBefore } from '../store/events.js';
import type { Db } from '../store/store.js';
import { checkEvent, type NewEvent, type SessionEvent } from './events.js';

/**
 * The append-only session log. Appends take the session row's lock to number events
 * without gaps; an event is acknowledged only once its transaction commits, so a crash
 * can lose nothing that was acknowledged. Followers are woken through `bus`.
 */
export class EventLog {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus = new EventBus(),
  ) {}

  /**
   * Stores events in order and returns them with their seq numbers. `holder`: the
   * runner appending, refused with LeaseLostError once another runner holds the session.
   * `row`: the session's new status, set in the same statement as the events are numbered.
   */
  async append(
    sessionId: string,
    batch: NewEvent[],
    holder?: string,
    row?: Parameters<typeof insertEvents>[4],
  ): Promise<SessionEvent[]> {
    if (batch.length === 0) return [];
    batch.forEach(checkEvent);
    const { userId, stored } = await insertEvents(this.db, sessionId, batch, holder, row);
    this.bus.publish(sessionId, stored);
    this.bus.announce({ type: 'appended', sessionId, userId, events: stored });
    return stored;
  }

  /** Tells watchers of a change to a session that adds no event to its log. */
  announce(change: SessionChange & { type: 'archived' | 'deleted' }): void {
    this.bus.announce(change);
  }

  /** Calls `listener` with every change to any session, until the returned function is called. */
  watch(listener: (change: SessionChange) => void): () => void {
    return this.bus.watch(listener);
  }

  /** Events after `afterSeq`, oldest first, at most `limit`. */
  async read(sessionId: string, afterSeq: number, limit = 500): Promise<SessionEvent[]> {
    return readEvents(this.db, sessionId, afterSeq, limit);
  }

  /** The newest `limit` events after `afterSeq` and before `beforeSeq`, oldest first. */
  async readBefore(
    sessionId: string,
    afterSeq: number,
    beforeSeq: number,
    limit = 500,
  ): Promise<SessionEvent[]> {
    return readEventsBefore(this.db, sessionId, afterSeq, beforeSeq, limit);
  }

  /**
   * Follows a session from `afterSeq`: yields what is stored, then what is appended,
   * with no gap or repeat between the two, until `signal` aborts. Appends in this
   * process are handed over as published, so a session's followers cost the store
   * nothing per event; the store is read again only to catch up (at the start, after
   * a gap, or when this follower fell `MAX_PENDING` batches behind).
   */
  async *follow(
    sessionId: string,
    afterSeq: number,
    signal: AbortSignal,
  ): AsyncGenerator<SessionEvent> {
    let last = afterSeq;
    let behind = true;
    const pending: SessionEvent[][] = [];
    let wake: (() => void) | undefined;
    // Subscribed before reading, so an append during the read is still handed over.
    const unsubscribe = this.bus.subscribe(sessionId, (stored) => {
      // An empty batch says the log changed elsewhere (another process): read it.
      if (stored.length === 0 || pending.length >= MAX_PENDING) {
        pending.length = 0;
        behind = true;
      } else {
        pending.push(stored);
      }
      wake?.();
    });
    const aborted = () => wake?.();
    signal.addEventListener('abort', aborted);
    // A call, not a property read: the compiler would take it for unchanged in the loop.
    const stopped = () => signal.aborted;
    try {
      while (!stopped()) {
        if (behind) {
          behind = false;
          for (;;) {
            const page = await this.read(sessionId, last);
            for (const event of page) {
              last = event.seq;
              yield event;
            }
            if (page.length < 500) break;
          }
        }
        for (let batch = pending.shift(); batch && !behind; batch = pending.shift()) {
          for (const event of batch) {
            if (event.seq <= last) continue;
            // Published out of order (or missed): the store has them in order.
            if (event.seq !== last + 1) {
              behind = true;
              break;
            }
            last = event.seq;
            yield event;
          }
        }
        if (behind || stopped()) continue;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      unsubscribe();
      signal.removeEventListener('abort', aborted);
    }
  }
}

/** Published batches a follower may hold unsent (a slow reader) before it reads the store instead. */
const MAX_PENDING = 100;

/** A change to one of a user's sessions, for those who watch them all (the session list). */
export type SessionChange =
  | { type: 'appended'; sessionId: string; userId: string; events: SessionEvent[] }
  | { type: 'archived' | 'deleted'; sessionId: string; userId: string }
  /** Something may have changed that was not heard of (a lost listener): read the row again. */
  | { type: 'changed'; sessionId: string; userId: string };

/** The channel for every session's changes; a symbol, so no session id can collide with it. */
const ALL_SESSIONS = Symbol('all sessions');

/**
 * Wakes followers of a session, or of all sessions, when they change (in this process;
 * `PgEventBus` carries the changes to other processes too).
 */
export class EventBus {
  protected readonly emitter = new EventEmitter().setMaxListeners(0);

  /**
   * Hands `stored` to the session's followers; an empty list tells them the log changed
   * where they could not see it (another process), so they read it again.
   */
  publish(sessionId: string, stored: SessionEvent[]): void {
    this.emitter.emit(sessionId, stored);
  }

  subscribe(sessionId: string, listener: (stored: SessionEvent[]) => void): () => void {
    this.emitter.on(sessionId, listener);
    return () => this.emitter.off(sessionId, listener);
  }

  announce(change: SessionChange): void {
    this.emitter.emit(ALL_SESSIONS, change);
  }

  /** True when someone watches all sessions (a session list is open). */
  protected watched(): boolean {
    return this.emitter.listenerCount(ALL_SESSIONS) > 0;
  }

  watch(listener: (change: SessionChange) => void): () => void {
    this.emitter.on(ALL_SESSIONS, listener);
    return () => this.emitter.off(ALL_SESSIONS, listener);
  }
}
