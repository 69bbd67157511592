import pg from 'pg';
import type { Logger } from 'pino';
import { sql } from 'drizzle-orm';
import type { Db } from './store.js';

/** The application name of listener connections, as `pg_stat_activity` shows them. */
export const LISTENER_APP_NAME = 'hangar-listener';

/** Reconnect backoff after the listening connection is lost: from 0.25 s up to 5 s. */
const BACKOFF_MS = [250, 500, 1000, 2000, 5000];

/**
 * PostgreSQL LISTEN on a connection of its own (a pooled one would drop the LISTEN when
 * returned). A lost connection is made again, with backoff, and `onReconnect` handlers
 * run then: notifications sent meanwhile are gone, so they read what they missed.
 */
export class PgListener {
  private client: pg.Client | undefined;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnected = new Set<(lostAt: Date) => void>();
  private lostAt = new Date();
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    readonly channels: readonly string[],
    private readonly logger: Logger,
  ) {
    for (const channel of channels) this.handlers.set(channel, new Set());
  }

  /** Connects and listens; rejects if the first connection cannot be made. */
  async start(): Promise<void> {
    this.client = await this.connect();
  }

  /** Calls `handler` with each notification's payload on `channel`. */
  on(channel: string, handler: (payload: string) => void): () => void {
    const set = this.handlers.get(channel);
    if (!set) throw new Error(`not listening on ${channel}`);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Calls `handler` after each reconnection, with when the connection was lost. */
  onReconnect(handler: (lostAt: Date) => void): () => void {
    this.reconnected.add(handler);
    return () => this.reconnected.delete(handler);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: LISTENER_APP_NAME,
    });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? [])
        handler(message.payload ?? '');
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'the database listener connection failed; reconnecting');
      this.lost(client);
    });
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.channels) await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return client;
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.lostAt = new Date();
    void client.end().catch(() => undefined);
    this.retry();
  }

  private retry(): void {
    const wait = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)] ?? 5000;
    this.retryTimer = setTimeout(() => {
      this.connect().then(
        (client) => {
          if (this.closed) {
            void client.end().catch(() => undefined);
            return;
          }
          this.client = client;
          this.failures = 0;
          this.logger.info('the database listener reconnected');
          for (const handler of this.reconnected) handler(this.lostAt);
        },
        (error: unknown) => {
          this.failures++;
          this.logger.warn({ err: error }, 'the database listener could not reconnect; retrying');
          if (!this.closed) this.retry();
        },
      );
    }, wait);
    this.retryTimer.unref();
  }
}

/** Sends `payload` (at most 8000 bytes, PostgreSQL's limit) to listeners of `channel`. */
export async function notify(db: Db, channel: string, payload: string): Promise<void> {
  await db.execute(sql`select pg_notify(${channel}, ${payload})`);
}
