import {
  useEffect,
  useMemo,
  useRef,
  useState,
  type SyntheticEvent,
  type KeyboardEvent,
} from 'react';
import { api, asApiError, unwrap, type ApiResult, type Session } from '../api/client';
import { followSse } from '../api/sse';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { PullRequestBar } from '../components/PullRequestBar';
import { DiffStat, StatusBadge } from '../components/StatusBadge';
import { TranscriptView } from '../components/TranscriptView';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { newer } from '../session-list';
import { useSessions } from '../sessions';
import { buildTranscript, type SessionEvent } from '../transcript';

/** The session's events, live: the stored ones first, then each new one as it lands. */
function useSessionEvents(id: string) {
  const [events, setEvents] = useState<SessionEvent[]>([]);
  useEffect(() => {
    const abort = new AbortController();
    const seen = new Set<number>();
    void followSse(`/api/v1/sessions/${encodeURIComponent(id)}/events`, {
      signal: abort.signal,
      onMessage: (message) => {
        const event = JSON.parse(message.data) as SessionEvent;
        if (seen.has(event.seq)) return;
        seen.add(event.seq);
        setEvents((all) => [...all, event]);
      },
    });
    return () => abort.abort();
  }, [id]);
  return events;
}

export function SessionPage({ id }: { id: string }) {
  const session = useLoad(
    () => unwrap(api.GET('/api/v1/sessions/{id}', { params: { path: { id } } })),
    [id],
  );
  const events = useSessionEvents(id);
  const fromFeed = useSessions().byId.get(id);
  const transcript = useMemo(() => buildTranscript(events), [events]);
  const [deleting, setDeleting] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  // Keep the newest entry in view while the transcript grows, unless the reader has
  // scrolled up to read something earlier.
  const following = useRef(true);
  useEffect(() => {
    const onScroll = () => {
      const bottom = window.scrollY + window.innerHeight;
      following.current = bottom >= document.documentElement.scrollHeight - 160;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    if (following.current) end.current?.scrollIntoView({ block: 'end' });
  }, [transcript.items.length]);

  if (session.error) {
    return (
      <section className="page">
        <h1>Session not found</h1>
        <p className="field-error">{session.error.message}</p>
        <Link href="/">Start a new session</Link>
      </section>
    );
  }
  // The header follows the live session list (status, diff, archive); the page's own
  // copy answers until the list has the session, or says it does not exist. Of the
  // two, the newer wins.
  const s = newer(fromFeed, session.data);
  if (!s) return <section className="page muted">Loading…</section>;

  const act = async (call: Promise<ApiResult<unknown>>, done: string) => {
    try {
      await unwrap(call);
      setNotice(done);
      session.reload();
    } catch (failure) {
      setNotice((failure as Error).message);
    }
  };
  const path = { params: { path: { id } } };

  return (
    <section className="page session-page">
      <header className="session-header">
        <div className="session-heading">
          <h1>{s.title}</h1>
          <p className="muted">
            {s.repo}
            {s.branch && (
              <>
                {' · '}
                <code>{s.branch}</code>
              </>
            )}
            {' · '}
            <span className="session-agent" title={`Agent: ${s.agent}`}>
              {s.agentLabel}
            </span>
          </p>
        </div>
        <div className="session-actions">
          <StatusBadge session={s} />
          <Link
            href={`/sessions/${id}/diff`}
            className="button diff-button"
            aria-label={`View the diff: ${s.diffStats.additions} lines added, ${s.diffStats.deletions} removed`}
          >
            <DiffStat {...s.diffStats} />
          </Link>
          <CopyTeleport id={id} />
          {transcript.turnRunning && (
            <button
              type="button"
              onClick={() =>
                void act(api.POST('/api/v1/sessions/{id}/interrupt', path), 'Interrupted.')
              }
            >
              Interrupt
            </button>
          )}
          {!s.archived && (
            <button
              type="button"
              onClick={() => void act(api.POST('/api/v1/sessions/{id}/archive', path), 'Archived.')}
            >
              Archive
            </button>
          )}
          <button type="button" className="danger" onClick={() => setDeleting(true)}>
            Delete
          </button>
        </div>
      </header>
      <PullRequestBar session={s} />
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <TranscriptView items={transcript.items} sessionId={id} agent={s.agentLabel} />
      <div ref={end} />
      <FollowUp session={s} turnRunning={transcript.turnRunning} />
      {deleting && (
        <ConfirmDelete
          session={s}
          onClose={() => setDeleting(false)}
          onDeleted={() => navigate('/', { replace: true })}
        />
      )}
    </section>
  );
}

/** "Open in CLI": copies the command that pulls this session into a terminal. */
function CopyTeleport({ id }: { id: string }) {
  const [copied, setCopied] = useState(false);
  const command = `hangar teleport ${id}`;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command);
    } catch {
      // No clipboard (an insecure origin): select the text so it can be copied by hand.
      window.prompt('Copy this command:', command);
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" onClick={() => void copy()} title={command} data-command={command}>
      {copied ? 'Copied' : 'Open in CLI'}
    </button>
  );
}

/** The follow-up box: Enter with Ctrl or ⌘ sends; while a turn runs the message queues. */
function FollowUp({ session, turnRunning }: { session: Session; turnRunning: boolean }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const disabled = session.status === 'failed';

  const send = async (event?: SyntheticEvent) => {
    event?.preventDefault();
    if (!text.trim()) {
      setError('Write a message first.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST('/api/v1/sessions/{id}/messages', {
          params: { path: { id: session.id } },
          body: { text },
        }),
      );
      setText('');
    } catch (failure) {
      // Beside the box, the message need not name the field (`text: …`).
      const apiError = asApiError(failure);
      setError(apiError.about('text')[0]?.message ?? apiError.message);
    } finally {
      setBusy(false);
    }
  };
  const onKey = (event: KeyboardEvent) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) void send();
  };

  return (
    <form className="follow-up" onSubmit={(e) => void send(e)}>
      <label htmlFor="follow-up" className="visually-hidden">
        Follow-up message
      </label>
      <textarea
        id="follow-up"
        rows={3}
        value={text}
        disabled={disabled}
        placeholder={
          disabled
            ? 'This session failed: start a new one.'
            : turnRunning
              ? `${session.agentLabel} is working: your message will be queued for the next turn`
              : `Reply to ${session.agentLabel} (Ctrl+Enter to send)`
        }
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
        aria-invalid={error !== null}
        aria-describedby={error ? 'follow-up-error' : undefined}
      />
      {error && (
        <p id="follow-up-error" className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || disabled}>
        {turnRunning ? 'Queue' : 'Send'}
      </button>
    </form>
  );
}
