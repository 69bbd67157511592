import { ulid } from 'ulid';

/** Ids are a kind prefix and a ULID (time-ordered), e.g. `env_01J9…`. */
export type IdKind = 'usr' | 'tok' | 'env' | 'ses' | 'bun' | 'lnk' | 'sch' | 'run' | 'tea' | 'cmd';

export function newId(kind: IdKind): string {
  return `${kind}_${ulid().toLowerCase()}`;
}

/**
 * What every id Hangar hands out looks like: a kind, `_`, then lowercase letters and
 * digits. The API checks ids against it before any query, so NUL bytes, traversal or
 * 100 KB strings are a 400 rather than a value PostgreSQL chokes on.
 */
export const ID_PATTERN = /^[a-z]{3}_[0-9a-z]{1,64}$/;

/** Whether `value` has the shape of a Hangar id (it may still name nothing). */
export function isId(value: string): boolean {
  return ID_PATTERN.test(value);
}

/**
 * A coding agent's own conversation id: a UUID (Claude Code, Codex) or `ses_` and
 * letters and digits (opencode). It becomes a file name and an argument of the
 * agent's resume flag, so anything else — `../../.bashrc`, `--flag` — is refused
 * wherever it is read: from the agent's output, the store and the API.
 */
const AGENT_SESSION_ID =
  /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|ses_[0-9A-Za-z]{20,40})$/i;

export function isAgentSessionId(value: string): boolean {
  return AGENT_SESSION_ID.test(value);
}
