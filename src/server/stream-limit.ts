import { UserLimitError } from '../errors.js';

/**
 * Counts each user's open SSE streams in this server process, so one user cannot hold
 * an unbounded number of connections (each keeps a socket, a watcher and timers).
 */
export class StreamLimit {
  private readonly open = new Map<string, number>();

  constructor(readonly perUser: number) {}

  /**
   * Takes one of the user's streams, or throws a 429 naming the limit. Answers the
   * release, which is safe to call more than once.
   */
  acquire(userId: string): () => void {
    const used = this.open.get(userId) ?? 0;
    if (used >= this.perUser) {
      throw new UserLimitError({
        code: 'too_many_streams',
        status: 429,
        message:
          `You have ${used} live streams open, the most this server allows per user ` +
          `(HANGAR_MAX_STREAMS_PER_USER=${this.perUser}): close one (another browser tab, ` +
          'or a `hangar logs --follow`) and try again.',
        details: { limit: this.perUser, used, variable: 'HANGAR_MAX_STREAMS_PER_USER' },
      });
    }
    this.open.set(userId, used + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left > 0) this.open.set(userId, left);
      else this.open.delete(userId);
    };
  }

  /** How many streams the user has open now. */
  count(userId: string): number {
    return this.open.get(userId) ?? 0;
  }
}
