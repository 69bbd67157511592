import type { Schemas } from './client.js';

/**
 * How a session stopped running. `idle`: its turn ended and it waits for a message
 * (also when its sandbox was then hibernated). Otherwise the status it stopped in:
 * `failed`, or `hibernated` in the middle of a turn (the server restarted).
 */
export interface Stop {
  status: 'idle' | 'hibernated' | 'failed';
  reason?: string;
}

/**
 * Reads a session's events in order and says whether it has stopped running. A status
 * that runs (queued, provisioning, running) or a user's message (a turn will follow)
 * means it has not; idle, hibernated and failed mean it has, until either comes again.
 */
export class StopTracker {
  private stop: Stop | undefined;

  /** Takes the next event; answers how the session stands stopped after it, if it does. */
  see(event: Schemas['Event']): Stop | undefined {
    if (event.type === 'message.user') this.stop = undefined;
    if (event.type !== 'session.status') return this.stop;
    const data = (event.data ?? {}) as { status?: unknown; reason?: unknown };
    const reason = typeof data.reason === 'string' ? { reason: data.reason } : {};
    switch (data.status) {
      case 'idle':
        this.stop = { status: 'idle' };
        break;
      case 'hibernated':
        // An idle session's sandbox stopping changes nothing about how its turn ended.
        if (this.stop?.status !== 'idle') this.stop = { status: 'hibernated', ...reason };
        break;
      case 'failed':
        this.stop = { status: 'failed', ...reason };
        break;
      default:
        this.stop = undefined;
    }
    return this.stop;
  }

  /** How the session stands stopped after the events seen so far, if it does. */
  get stopped(): Stop | undefined {
    return this.stop;
  }
}
