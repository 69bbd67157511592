import type { Logger } from 'pino';

/** What to do with a background task's failure besides logging it. */
export interface BackgroundOptions {
  logger: Pick<Logger, 'error'>;
  /** Fields for the log line, e.g. `{ session: id }`. */
  context?: Record<string, unknown>;
  /**
   * Records or repairs the failure once it is logged: mark the session failed, close a
   * socket. Its own failure is logged too, and goes no further.
   */
  onFailure?: (error: unknown) => unknown;
}

/**
 * Lets `work` run on without awaiting it. It never becomes an unhandled rejection
 * (which would stop the server): a failure is logged as `<what> failed` and handed to
 * `onFailure`. Every promise Hangar does not await goes through here.
 */
export function runInBackground(
  what: string,
  work: Promise<unknown>,
  options: BackgroundOptions,
): void {
  const { logger, context, onFailure } = options;
  void work.then(
    () => undefined,
    async (error: unknown) => {
      logger.error({ err: error, ...context }, `${what} failed`);
      if (!onFailure) return;
      try {
        await onFailure(error);
      } catch (failure) {
        logger.error({ err: failure, ...context }, `recording that ${what} failed, failed too`);
      }
    },
  );
}
