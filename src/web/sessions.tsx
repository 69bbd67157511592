import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, unwrap, type Session } from './api/client';
import { followSse } from './api/sse';

interface SessionList {
  /** Newest first. */
  sessions: Session[];
  byId: ReadonlyMap<string, Session>;
  error: string | null;
}

const SessionsContext = createContext<SessionList>({ sessions: [], byId: new Map(), error: null });

/**
 * Your sessions, kept current by the server's session feed: the sidebar lists them
 * and a session's page reads its header from them, so both change together.
 */
export function SessionsProvider({ children }: { children: ReactNode }) {
  const [byId, setById] = useState<ReadonlyMap<string, Session>>(new Map());
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    const refetch = () =>
      unwrap(api.GET('/api/v1/sessions', { params: { query: { archived: 'true' } } })).then(
        (page) => {
          setById(new Map(page.sessions.map((s) => [s.id, s])));
          setError(null);
        },
        (failure: unknown) => setError((failure as Error).message),
      );
    void followSse('/api/v1/sessions', {
      signal: abort.signal,
      // Whatever changed while the stream was down is in a fresh list.
      onOpen: () => void refetch(),
      onMessage: (message) => {
        if (message.event === 'session') {
          const session = JSON.parse(message.data) as Session;
          setById((all) => new Map(all).set(session.id, session));
        } else if (message.event === 'deleted') {
          const { id } = JSON.parse(message.data) as { id: string };
          setById((all) => {
            const next = new Map(all);
            next.delete(id);
            return next;
          });
        }
      },
    });
    return () => abort.abort();
  }, []);
  const sessions = [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <SessionsContext.Provider value={{ sessions, byId, error }}>
      {children}
    </SessionsContext.Provider>
  );
}

export function useSessions(): SessionList {
  return useContext(SessionsContext);
}
