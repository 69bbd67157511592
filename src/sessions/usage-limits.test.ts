import { describe, expect, it } from 'vitest';
import { checkSessionStarts, checkTokensToday, inWords, nextUtcDay } from './usage-limits.js';

describe('window limits', () => {
  it('says a wait in words, rounded up', () => {
    expect(inWords(0)).toBe('1 second');
    expect(inWords(40_500)).toBe('41 seconds');
    expect(inWords(60_000)).toBe('1 minute');
    expect(inWords(61_000)).toBe('2 minutes');
    expect(inWords(3_600_000)).toBe('1 hour');
    expect(inWords(5 * 3_600_000 + 3 * 60_000)).toBe('5 hours 3 minutes');
  });

  it('frees the day at the next 00:00 UTC', () => {
    expect(nextUtcDay(new Date('2030-12-31T23:59:59Z')).toISOString()).toBe(
      '2031-01-01T00:00:00.000Z',
    );
    expect(nextUtcDay(new Date('2030-03-05T00:00:00Z')).toISOString()).toBe(
      '2030-03-06T00:00:00.000Z',
    );
  });

  it('lets a start through under the limit, and says when the next place frees past it', () => {
    const now = new Date('2030-03-04T10:20:30Z');
    expect(checkSessionStarts(3, { count: 2 }, now)).toBeUndefined();
    const refused = checkSessionStarts(
      3,
      { count: 4, freeingStart: new Date('2030-03-04T09:30:00Z') },
      now,
    );
    expect(refused?.status).toBe(429);
    expect(refused?.retryAfterSeconds).toBe(9 * 60 + 30);
    // The clock time shown is never earlier than the real one.
    expect(refused?.message).toMatch(/in 10 minutes \(at 10:30 UTC\)\.$/);
  });

  it('has no token limit when none is set', () => {
    expect(checkTokensToday(undefined, 10 ** 12, new Date())).toBeUndefined();
    expect(checkTokensToday(100, 99, new Date())).toBeUndefined();
    expect(checkTokensToday(100, 100, new Date('2030-03-05T23:00:00Z'))?.retryAfterSeconds).toBe(
      3600,
    );
  });
});
