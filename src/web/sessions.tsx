import {
  createContext,
  useContext,
  useEffect,
  useMemo,
  useReducer,
  useState,
  type ReactNode,
} from 'react';
import { api, unwrap, type Session } from './api/client';
import { followSse } from './api/sse';
import { applyChange, emptyList } from './session-list';

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
  const [list, dispatch] = useReducer(applyChange, emptyList);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    let connection = 0;
    void followSse('/api/v1/sessions', {
      signal: abort.signal,
      // The feed is open (the server watches before it answers), so whatever the list
      // misses, a frame brings; and whatever changed while the feed was down is in it.
      onOpen: () => {
        connection += 1;
        const opened = connection;
        dispatch({ type: 'opened', connection: opened });
        unwrap(api.GET('/api/v1/sessions', { params: { query: { archived: 'true' } } })).then(
          (page) => {
            dispatch({ type: 'listed', connection: opened, sessions: page.sessions });
            setError(null);
          },
          (failure: unknown) => setError((failure as Error).message),
        );
      },
      onMessage: (message) => {
        if (message.event === 'session') {
          dispatch({ type: 'session', session: JSON.parse(message.data) as Session });
        } else if (message.event === 'deleted') {
          dispatch({ type: 'deleted', id: (JSON.parse(message.data) as { id: string }).id });
        }
      },
    });
    return () => abort.abort();
  }, []);
  const { byId } = list;
  const sessions = useMemo(
    () => [...byId.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [byId],
  );
  return (
    <SessionsContext.Provider value={{ sessions, byId, error }}>
      {children}
    </SessionsContext.Provider>
  );
}

export function useSessions(): SessionList {
  return useContext(SessionsContext);
}
