import { useEffect, useRef, useState, type SyntheticEvent, type KeyboardEvent } from 'react';
import { api, asApiError, unwrap, type ApiResult, type Session } from '../api/client';
import { followSse } from '../api/sse';
import { ConfirmDelete } from '../components/ConfirmDelete';
import { PullRequestBadge, PullRequestBar } from '../components/PullRequestBar';
import { ShareDialog } from '../components/ShareDialog';
import { DiffStat, StatusBadge } from '../components/StatusBadge';
import { TranscriptView, type Earlier } from '../components/TranscriptView';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { newer } from '../session-list';
import { useSessions } from '../sessions';
import { TranscriptFold, type SessionEvent, type TranscriptBlock } from '../transcript';

/** Events a session opens with: its end. Earlier ones load a page at a time, on request. */
const TAIL_EVENTS = 300;
const EARLIER_EVENTS = 500;

/** What the page shows of the transcript; a new object whenever an event changed it. */
interface TranscriptState {
  id: string;
  blocks: readonly TranscriptBlock[];
  size: number;
  /** Undefined while the events loaded do not say (see TranscriptFold). */
  turnRunning: boolean | undefined;
  earlier: Earlier;
}

/**
 * The session's transcript, live: its last TAIL_EVENTS stored events first, then each
 * new one as it lands, folded in one at a time (never the whole log again). Earlier
 * events load a page at a time (`earlier.load`); the loaded log is then folded again
 * from its new start, once.
 */
function useTranscript(id: string): TranscriptState {
  const [state, setState] = useState<TranscriptState | undefined>(undefined);
  useEffect(() => {
    const abort = new AbortController();
    /** The events loaded so far, oldest first, with no gap. */
    const events: SessionEvent[] = [];
    let fold: TranscriptFold | undefined;
    let earlier: Omit<Earlier, 'load'> = { more: false, loading: false };
    let frame: number | undefined;
    const show = () => {
      // One render a frame, however many events the frame brought.
      frame ??= requestAnimationFrame(() => {
        frame = undefined;
        setState({
          id,
          blocks: fold?.itemBlocks ?? [],
          size: fold?.size ?? 0,
          turnRunning: fold?.turnRunning,
          earlier: { ...earlier, load },
        });
      });
    };
    const load = async () => {
      const first = events[0]?.seq;
      if (earlier.loading || !earlier.more || first === undefined) return;
      earlier = { more: true, loading: true };
      show();
      try {
        const page = await unwrap(
          api.GET('/api/v1/sessions/{id}/events', {
            params: {
              path: { id },
              query: { before: String(first), limit: String(EARLIER_EVENTS) },
            },
            signal: abort.signal,
          }),
        );
        const older = page.events
          .filter((event) => event.seq < first)
          .map((event) => ({ ...event, data: event.data }));
        events.unshift(...older);
        const start = events[0]?.seq ?? 1;
        fold = new TranscriptFold(start > 1);
        for (const event of events) fold.add(event);
        earlier = { more: start > 1 && older.length > 0, loading: false };
      } catch (failure) {
        if (abort.signal.aborted) return;
        earlier = { more: true, loading: false, error: asApiError(failure).message };
      }
      show();
    };
    void followSse(`/api/v1/sessions/${encodeURIComponent(id)}/events?tail=${TAIL_EVENTS}`, {
      signal: abort.signal,
      onMessage: (message) => {
        const event = JSON.parse(message.data) as SessionEvent;
        if (!fold) {
          fold = new TranscriptFold(event.seq > 1);
          earlier = { more: event.seq > 1, loading: false };
        }
        // A reconnect resumes after the last event seen; anything older is a repeat.
        if (event.seq <= fold.lastSeq) return;
        events.push(event);
        fold.add(event);
        show();
      },
    });
    return () => {
      abort.abort();
      if (frame !== undefined) cancelAnimationFrame(frame);
    };
  }, [id]);
  // Another session's transcript is never shown, even for the frame before this one's.
  return state?.id === id
    ? state
    : {
        id,
        blocks: [],
        size: 0,
        turnRunning: false,
        earlier: { more: false, loading: false, load: async () => {} },
      };
}

export function SessionPage({ id }: { id: string }) {
  const session = useLoad(
    () => unwrap(api.GET('/api/v1/sessions/{id}', { params: { path: { id } } })),
    [id],
  );
  const transcript = useTranscript(id);
  const fromFeed = useSessions().byId.get(id);
  const [deleting, setDeleting] = useState(false);
  const [sharing, setSharing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);

  // Keep the newest entry in view while the transcript grows, unless the reader has
  // scrolled up to read something earlier: then keep what they read where it is on
  // screen as the transcript changes above it (blocks rendering, earlier events
  // landing). The page does that itself: CSS scroll anchoring holds on to the header
  // or the sidebar when those are in view, and is turned off here (styles.css).
  const following = useRef(true);
  const entries = useRef<HTMLDivElement>(null);
  /** What is first in view when not following (an entry, or a block yet to render), and where. */
  const held = useRef<{ selector: string; top: number } | undefined>(undefined);
  const hold = () => {
    const shown = entries.current?.querySelectorAll<HTMLElement>(
      '.transcript-block:empty, .transcript-block > li',
    );
    // The first that starts in view: one that starts above it may itself grow as it renders.
    const inView = Array.from(shown ?? []).filter((e) => {
      const box = e.getBoundingClientRect();
      return box.bottom > 0 && box.top < window.innerHeight;
    });
    const first = inView.find((e) => e.getBoundingClientRect().top >= 0) ?? inView[0];
    if (!first) return;
    const { seq, block } = first.dataset;
    held.current = {
      selector: seq === undefined ? `ol[data-block="${block}"]` : `li[data-seq="${seq}"]`,
      top: first.getBoundingClientRect().top,
    };
  };
  useEffect(() => {
    let lastY = window.scrollY;
    // Only a scroll up stops following: the page's own scrolls (and blocks above the
    // view growing as they render) never do.
    const onScroll = () => {
      const bottom = window.scrollY + window.innerHeight;
      const atEnd = bottom >= document.documentElement.scrollHeight - 160;
      if (atEnd) following.current = true;
      else if (window.scrollY < lastY) following.current = false;
      lastY = window.scrollY;
      if (!following.current) hold();
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    if (following.current) end.current?.scrollIntoView({ block: 'end' });
  }, [transcript.size]);
  const loaded = session.data !== undefined;
  useEffect(() => {
    if (!entries.current) return;
    const observer = new ResizeObserver(() => {
      if (following.current) {
        end.current?.scrollIntoView({ block: 'end' });
        return;
      }
      const kept = held.current;
      const element = kept && entries.current?.querySelector(kept.selector);
      if (kept && element) window.scrollBy(0, element.getBoundingClientRect().top - kept.top);
    });
    observer.observe(entries.current);
    return () => observer.disconnect();
  }, [loaded]);

  // Earlier events: the reader asked, so the page stops following the end.
  const earlier: Earlier = {
    ...transcript.earlier,
    load: async (auto) => {
      if (auto && following.current) return;
      following.current = false;
      hold();
      await transcript.earlier.load();
    },
  };

  if (session.error) {
    // A shared session whose repo the viewer cannot read is refused with the reason.
    const refused = session.error.status === 403;
    return (
      <section className="page">
        <h1>{refused ? 'You cannot open this session' : 'Session not found'}</h1>
        <p className="field-error" role="alert">
          {session.error.message}
        </p>
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
  const readOnly = s.readOnly;
  // A transcript opened midway may not show the current turn's start: the status says.
  const turnRunning = transcript.turnRunning ?? s.status === 'running';

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
            {readOnly && (
              <>
                {' · '}
                <span className="read-only-badge" data-testid="read-only">
                  {s.owner ? `Shared by ${s.owner.name}` : 'Shared with you'} · read-only
                </span>
              </>
            )}
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
          {!readOnly && (
            <button type="button" onClick={() => setSharing(true)} data-visibility={s.visibility}>
              {s.visibility === 'private' ? 'Share' : `Shared: ${s.visibility}`}
            </button>
          )}
          {!readOnly && <CopyTeleport id={id} />}
          {!readOnly && turnRunning && (
            <button
              type="button"
              onClick={() =>
                void act(api.POST('/api/v1/sessions/{id}/interrupt', path), 'Interrupted.')
              }
            >
              Interrupt
            </button>
          )}
          {!readOnly && !s.archived && (
            <button
              type="button"
              onClick={() => void act(api.POST('/api/v1/sessions/{id}/archive', path), 'Archived.')}
            >
              Archive
            </button>
          )}
          {!readOnly && (
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          )}
        </div>
      </header>
      {readOnly ? <SharedPullRequest session={s} /> : <PullRequestBar session={s} />}
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <div ref={entries}>
        <TranscriptView
          blocks={transcript.blocks}
          earlier={earlier}
          sessionId={id}
          agent={s.agentLabel}
          user={readOnly ? (s.owner?.name ?? 'The owner') : 'You'}
        />
      </div>
      <div ref={end} />
      {readOnly ? (
        <p className="muted read-only-note">
          This session is shared with you read-only: you can watch it, not send it messages.
        </p>
      ) : (
        <FollowUp session={s} turnRunning={turnRunning} />
      )}
      {sharing && (
        <ShareDialog
          session={s}
          onClose={() => setSharing(false)}
          onChanged={() => session.reload()}
        />
      )}
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

/** A viewer's view of the PR: its link and state, nothing to press. */
function SharedPullRequest({ session }: { session: Session }) {
  const pr = session.pullRequest;
  if (!pr) return null;
  return (
    <div className="pr-bar" data-pr-state={pr.state}>
      <a href={pr.url} target="_blank" rel="noreferrer" className="pr-link">
        <PullRequestBadge pr={pr} />
      </a>
    </div>
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
