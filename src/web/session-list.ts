import type { Session } from './api/client';

/**
 * The live session list as one value, built from two sources that race: the frames of
 * the server's session feed and the list fetched each time the feed (re)opens. Each
 * session's copies are merged by `version`, so whichever arrives last, the newer copy
 * stays: a list read just before a change but delivered just after its frame cannot
 * undo it.
 */
export interface SessionListState {
  byId: ReadonlyMap<string, Session>;
  /** Sessions the feed said are deleted: a list read before the delete cannot bring one back. */
  deleted: ReadonlySet<string>;
  /** The feed's current connection, counted from 1; 0 before the first opens. */
  connection: number;
  /** Sessions a frame brought on the current connection. */
  framed: ReadonlySet<string>;
}

/** One thing the list learns, in the order it learns it. */
export type ListChange =
  /** The feed (re)connected as connection `connection`; a list is fetched next. */
  | { type: 'opened'; connection: number }
  /** A frame: the session as it was after a change. */
  | { type: 'session'; session: Session }
  /** A frame: the session is gone. */
  | { type: 'deleted'; id: string }
  /** The list fetched after connection `connection` opened. */
  | { type: 'listed'; connection: number; sessions: readonly Session[] };

export const emptyList: SessionListState = {
  byId: new Map(),
  deleted: new Set(),
  connection: 0,
  framed: new Set(),
};

/** Of two copies of one session, the newer; the first on a tie (same version, same row). */
export function newer<T extends Pick<Session, 'version'>>(
  a: T | undefined,
  b: T | undefined,
): T | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.version > a.version ? b : a;
}

/** The list after `change`. */
export function applyChange(state: SessionListState, change: ListChange): SessionListState {
  switch (change.type) {
    case 'opened':
      return { ...state, connection: change.connection, framed: new Set() };
    case 'session': {
      const { session } = change;
      if (state.deleted.has(session.id)) return state;
      const kept = newer(state.byId.get(session.id), session);
      const framed = new Set(state.framed).add(session.id);
      if (kept !== session) return { ...state, framed };
      return { ...state, byId: new Map(state.byId).set(session.id, session), framed };
    }
    case 'deleted': {
      const byId = new Map(state.byId);
      byId.delete(change.id);
      return { ...state, byId, deleted: new Set(state.deleted).add(change.id) };
    }
    case 'listed':
      return applyList(state, change.connection, change.sessions);
  }
}

/**
 * Merges a fetched list. The feed was open before the list was read, so a session
 * missing from it was deleted before the read (while no feed listened: no frame will
 * say so) — unless a frame of this connection brought it, being created after the read.
 */
function applyList(
  state: SessionListState,
  connection: number,
  sessions: readonly Session[],
): SessionListState {
  const current = connection === state.connection;
  const listed = new Map(sessions.map((s) => [s.id, s]));
  const byId = new Map<string, Session>();
  for (const [id, held] of state.byId) {
    if (listed.has(id) || !current || state.framed.has(id)) byId.set(id, held);
  }
  for (const [id, session] of listed) {
    if (state.deleted.has(id)) continue;
    const kept = newer(byId.get(id), session);
    if (kept) byId.set(id, kept);
  }
  return { ...state, byId };
}
