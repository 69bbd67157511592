/**
 * The per-user limits over a window: sessions started in the last hour and model
 * tokens used in the UTC day. Pure: it takes what was used and the time, and answers
 * the error to send (with when the window frees), or nothing.
 */
import { UserLimitError } from '../errors.js';

/** The window limits a new session or a follow-up is checked against. */
export interface WindowLimits {
  /** HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR */
  sessionsPerHour: number;
  /** HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY; undefined: no limit. */
  tokensPerUserPerDay: number | undefined;
}

export const HOUR_MS = 3600_000;

/** Sessions started in the last hour, and when the one that frees the next place was started. */
export interface StartWindow {
  count: number;
  /** With `count` at or past the limit: the start whose hour ends first to bring it under. */
  freeingStart?: Date | undefined;
}

/** A refusal of one more session when the last hour already holds `limit` starts. */
export function checkSessionStarts(
  limit: number,
  window: StartWindow,
  now: Date,
): UserLimitError | undefined {
  if (window.count < limit) return undefined;
  const at = new Date((window.freeingStart ?? now).getTime() + HOUR_MS);
  return new UserLimitError({
    code: 'too_many_sessions_this_hour',
    status: 429,
    message:
      `You have started ${plural(window.count, 'session')} in the last hour, the most allowed ` +
      `(HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR=${limit}); you can start another in ` +
      `${inWords(at.getTime() - now.getTime())} (at ${utcTime(at)} UTC).`,
    details: {
      limit,
      used: window.count,
      variable: 'HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR',
    },
    retryAt: { at, now },
  });
}

/**
 * A refusal of a new session or a follow-up once the user's tokens for the UTC day
 * (as the model gateway counted them) reach the limit: a turn started now could not
 * make a single model request. It frees at the next UTC midnight.
 */
export function checkTokensToday(
  limit: number | undefined,
  tokens: number,
  now: Date,
): UserLimitError | undefined {
  if (limit === undefined || tokens < limit) return undefined;
  const at = nextUtcDay(now);
  return new UserLimitError({
    code: 'model_tokens_used_up',
    status: 429,
    message:
      `You have used ${tokens} model tokens today (UTC), the most allowed ` +
      `(HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=${limit}); new sessions and follow-ups ` +
      `can start again at 00:00 UTC, in ${inWords(at.getTime() - now.getTime())}.`,
    details: { limit, used: tokens, variable: 'HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY' },
    retryAt: { at, now },
  });
}

/** The next 00:00 UTC after `now`. */
export function nextUtcDay(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
}

/** A wait for people: `40 seconds`, `12 minutes`, `5 hours 3 minutes` (rounded up). */
export function inWords(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 60) return plural(seconds, 'second');
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** `HH:MM` of `at` in UTC, rounded up to the minute (never earlier than `at`). */
const utcTime = (at: Date) =>
  new Date(Math.ceil(at.getTime() / 60_000) * 60_000).toISOString().slice(11, 16);
