import { describe, expect, it } from 'vitest';
import { StopTracker } from './session-stop.js';

let seq = 0;
const status = (status: string, reason?: string) => ({
  seq: ++seq,
  type: 'session.status',
  data: reason === undefined ? { status } : { status, reason },
  createdAt: '2026-11-27T00:00:00.000Z',
});
const event = (type: string) => ({ seq: ++seq, type, data: {}, createdAt: '' });

/** How a tracker stands after `events`. */
function after(...events: ReturnType<typeof event>[]) {
  const tracker = new StopTracker();
  for (const e of events) tracker.see(e);
  return tracker.stopped;
}

describe('StopTracker', () => {
  it('stops when the turn ends idle, not before', () => {
    expect(after(status('queued'), event('message.user'), status('provisioning'))).toBeUndefined();
    expect(after(status('running'), event('turn.result'))).toBeUndefined();
    expect(after(status('running'), event('turn.result'), status('idle'))).toEqual({
      status: 'idle',
    });
  });

  it('runs again on a user message or a running status after the stop', () => {
    expect(after(status('idle'), event('message.user'))).toBeUndefined();
    expect(after(status('idle'), status('hibernated'), event('message.user'))).toBeUndefined();
    expect(after(status('idle'), status('running'))).toBeUndefined();
  });

  it('keeps an idle stop idle when the sandbox hibernates afterwards', () => {
    expect(after(status('running'), status('idle'), status('hibernated'))).toEqual({
      status: 'idle',
    });
  });

  it('names a failure, and a hibernation in the middle of a turn, with the reason', () => {
    expect(after(status('provisioning'), status('failed', 'setup exited 1'))).toEqual({
      status: 'failed',
      reason: 'setup exited 1',
    });
    expect(after(status('running'), event('turn.result'), status('hibernated'))).toEqual({
      status: 'hibernated',
    });
  });

  it('answers after each event as it goes', () => {
    const tracker = new StopTracker();
    expect(tracker.see(status('running'))).toBeUndefined();
    expect(tracker.see(status('idle'))).toEqual({ status: 'idle' });
    expect(tracker.see(event('diff.updated'))).toEqual({ status: 'idle' });
  });
});
