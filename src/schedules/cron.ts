import { Cron } from 'croner';
import { ValidationError } from '../errors.js';

/** A schedule's timing: a five-field cron read in an IANA time zone. */
export interface Timing {
  cron: string;
  timezone: string;
}

/** Whether `timezone` is an IANA name this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks a cron and time zone; a bad one is a 400 naming the field and why (croner's
 * own reason, e.g. `Invalid value for minute: 61`).
 */
export function checkTiming(timing: Timing): void {
  if (!isTimeZone(timing.timezone)) {
    throw new ValidationError(
      `unknown time zone "${timing.timezone}": use an IANA name such as Europe/Berlin or UTC`,
      'timezone',
    );
  }
  try {
    cronOf(timing);
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : '';
    throw new ValidationError(
      `not a cron of five fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5": ${reason}`,
      'cron',
    );
  }
}

/** The next `count` times the schedule is due after `after`. */
export function nextRuns(timing: Timing, after: Date, count: number): Date[] {
  return cronOf(timing).nextRuns(count, after);
}

/** The next time the schedule is due after `after` (null: never again). */
export function nextRun(timing: Timing, after: Date): Date | null {
  return cronOf(timing).nextRun(after);
}

function cronOf(timing: Timing): Cron {
  // Five fields only: a seconds field would let one schedule start a session a second.
  return new Cron(timing.cron.trim(), { timezone: timing.timezone, paused: true, mode: '5-part' });
}
