import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { runInBackground } from './background.js';

/** A real pino logger whose lines are kept, parsed. */
function capturingLogger() {
  const lines: { msg: string; session?: string; err?: { message: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as (typeof lines)[number]);
      done();
    },
  });
  return { logger: pino(sink), lines };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('runInBackground', () => {
  it('logs a failure with its context and hands it to onFailure', async () => {
    const { logger, lines } = capturingLogger();
    const recorded: unknown[] = [];
    runInBackground('stopping the sandbox', Promise.reject(new Error('EBUSY')), {
      logger,
      context: { session: 'ses_1' },
      onFailure: (error) => recorded.push(error),
    });
    await settle();
    expect(lines).toMatchObject([
      { msg: 'stopping the sandbox failed', session: 'ses_1', err: { message: 'EBUSY' } },
    ]);
    expect(recorded).toEqual([new Error('EBUSY')]);
  });

  it('logs an onFailure that fails too, and lets nothing escape', async () => {
    const { logger, lines } = capturingLogger();
    runInBackground('after-turn work', Promise.reject(new Error('store down')), {
      logger,
      onFailure: () => Promise.reject(new Error('still down')),
    });
    await settle();
    expect(lines.map((line) => [line.msg, line.err?.message])).toEqual([
      ['after-turn work failed', 'store down'],
      ['recording that after-turn work failed, failed too', 'still down'],
    ]);
  });

  it('says nothing of work that succeeds', async () => {
    const { logger, lines } = capturingLogger();
    runInBackground('sweeping bundles', Promise.resolve(3), { logger });
    await settle();
    expect(lines).toEqual([]);
  });
});
