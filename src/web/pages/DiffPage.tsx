import { DiffModeEnum, DiffView, SplitSide } from '@git-diff-view/react';
import '@git-diff-view/react/styles/diff-view-pure.css';
import { useMemo, useState, type KeyboardEvent } from 'react';
import { api, unwrap } from '../api/client';
import { DiffStat } from '../components/StatusBadge';
import { draftKey, reviewMessage, splitDiff, type DraftComment, type FileDiff } from '../diff';
import { useDarkMode, useLoad, useStoredState } from '../hooks';
import { Link, navigate } from '../router';

/**
 * The session's changes against its base, file by file, in unified or split view. Any
 * line takes a comment; comments gather in a draft (kept across reloads) and go to the
 * agent as one follow-up message.
 */
export function DiffPage({ id }: { id: string }) {
  const diff = useLoad(
    () => unwrap(api.GET('/api/v1/sessions/{id}/diff', { params: { path: { id } } })),
    [id],
  );
  const session = useLoad(
    () => unwrap(api.GET('/api/v1/sessions/{id}', { params: { path: { id } } })),
    [id],
  );
  // A session shared with you is read-only: no comment boxes (not even until it loads).
  const commenting = session.data?.readOnly === false;
  const files = useMemo(() => splitDiff(diff.data?.diff ?? ''), [diff.data]);
  const [mode, setMode] = useStoredState<'unified' | 'split'>('hangar.diff-mode', 'unified');
  const [draft, setDraft] = useStoredState<DraftComment[]>(draftKey(id), []);
  const dark = useDarkMode();

  if (diff.error) {
    return (
      <section className="page">
        <h1>Diff</h1>
        <p className="field-error">{diff.error.message}</p>
      </section>
    );
  }
  if (!diff.data) return <section className="page muted">Loading…</section>;

  return (
    <section className="page diff-page">
      <header className="session-header">
        <div className="session-heading">
          <h1>
            Changes <DiffStat additions={diff.data.additions} deletions={diff.data.deletions} />
          </h1>
          <p className="muted">
            <Link href={`/sessions/${id}`}>Back to the session</Link> · {diff.data.files}{' '}
            {diff.data.files === 1 ? 'file' : 'files'} changed
          </p>
        </div>
        <div className="session-actions" role="group" aria-label="Diff layout">
          <button
            type="button"
            aria-pressed={mode === 'unified'}
            onClick={() => setMode('unified')}
          >
            Unified
          </button>
          <button type="button" aria-pressed={mode === 'split'} onClick={() => setMode('split')}>
            Split
          </button>
        </div>
      </header>
      {files.length === 0 ? (
        <p className="muted">No changes yet: the diff is taken after each turn.</p>
      ) : (
        <>
          <ul className="file-list" aria-label="Files changed">
            {files.map((file) => (
              <li key={file.path}>
                <a href={`#file-${encodeURIComponent(file.path)}`}>{file.path}</a>{' '}
                <span className="muted">{file.change}</span>{' '}
                <DiffStat additions={file.additions} deletions={file.deletions} />
              </li>
            ))}
          </ul>
          {files.map((file) => (
            <FileView
              key={file.path}
              file={file}
              mode={mode}
              dark={dark}
              commenting={commenting}
              comments={commenting ? draft.filter((c) => c.path === file.path) : []}
              onAdd={(comment) => setDraft((all) => [...all, comment])}
              onRemove={(commentId) => setDraft((all) => all.filter((c) => c.id !== commentId))}
            />
          ))}
        </>
      )}
      {commenting ? (
        <Draft
          id={id}
          draft={draft}
          onSent={() => setDraft([])}
          onRemove={(commentId) => setDraft((all) => all.filter((c) => c.id !== commentId))}
        />
      ) : (
        session.data && (
          <p className="muted">Shared with you read-only: only its owner comments on it.</p>
        )
      )}
    </section>
  );
}

function FileView({
  file,
  mode,
  dark,
  commenting,
  comments,
  onAdd,
  onRemove,
}: {
  file: FileDiff;
  mode: 'unified' | 'split';
  dark: boolean;
  commenting: boolean;
  comments: DraftComment[];
  onAdd: (comment: DraftComment) => void;
  onRemove: (id: string) => void;
}) {
  const extendData = useMemo(() => {
    const sides = {
      oldFile: {} as Record<string, { data: DraftComment[] }>,
      newFile: {} as Record<string, { data: DraftComment[] }>,
    };
    for (const comment of comments) {
      const side = comment.side === 'old' ? sides.oldFile : sides.newFile;
      (side[String(comment.line)] ??= { data: [] }).data.push(comment);
    }
    return sides;
  }, [comments]);

  return (
    <article
      className="file"
      id={`file-${encodeURIComponent(file.path)}`}
      data-file={file.path}
      onKeyDown={commenting ? openCommentFromKeyboard : undefined}
    >
      <h2 className="file-name">
        {file.change === 'renamed' ? `${file.oldPath} → ${file.newPath}` : file.path}{' '}
        <DiffStat additions={file.additions} deletions={file.deletions} />
      </h2>
      {file.binary ? (
        <p className="muted">Binary file: not shown.</p>
      ) : (
        <DiffView<DraftComment[]>
          data={{
            oldFile: { fileName: file.oldPath },
            newFile: { fileName: file.newPath },
            hunks: [file.text],
          }}
          diffViewMode={mode === 'split' ? DiffModeEnum.Split : DiffModeEnum.Unified}
          diffViewTheme={dark ? 'dark' : 'light'}
          diffViewHighlight
          diffViewWrap
          diffViewAddWidget={commenting}
          extendData={extendData}
          renderWidgetLine={({ side, lineNumber, onClose }) => (
            <CommentForm
              where={`${file.path}:${lineNumber}`}
              onCancel={onClose}
              onSave={(text) => {
                onAdd({
                  id: crypto.randomUUID(),
                  path: file.path,
                  side: side === SplitSide.old ? 'old' : 'new',
                  line: lineNumber,
                  text,
                });
                onClose();
              }}
            />
          )}
          renderExtendLine={({ data }) => (
            <div className="line-comments">
              {data.map((comment) => (
                <div key={comment.id} className="line-comment">
                  <p>{comment.text}</p>
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => onRemove(comment.id)}
                  >
                    Remove
                  </button>
                </div>
              ))}
            </div>
          )}
        />
      )}
    </article>
  );
}

/** The library opens a line's comment box on mousedown only: Enter and Space do it too. */
function openCommentFromKeyboard(event: KeyboardEvent) {
  const target = event.target as HTMLElement;
  if (
    (event.key === 'Enter' || event.key === ' ') &&
    target.classList.contains('diff-add-widget')
  ) {
    event.preventDefault();
    target.dispatchEvent(new MouseEvent('mousedown', { bubbles: true }));
  }
}

function CommentForm({
  where,
  onSave,
  onCancel,
}: {
  where: string;
  onSave: (text: string) => void;
  onCancel: () => void;
}) {
  const [text, setText] = useState('');
  return (
    <form
      className="comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim()) onSave(text.trim());
      }}
    >
      <label>
        Comment on <code>{where}</code>
        <textarea value={text} rows={3} autoFocus onChange={(e) => setText(e.target.value)} />
      </label>
      <div className="dialog-actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={!text.trim()}>
          Add to review
        </button>
      </div>
    </form>
  );
}

/** The comments waiting to go, and the button that sends them as one message. */
function Draft({
  id,
  draft,
  onSent,
  onRemove,
}: {
  id: string;
  draft: DraftComment[];
  onSent: () => void;
  onRemove: (id: string) => void;
}) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (draft.length === 0) {
    return <p className="muted draft-empty">Select the + beside a line to comment on it.</p>;
  }
  const send = async () => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.POST('/api/v1/sessions/{id}/messages', {
          params: { path: { id } },
          body: { text: reviewMessage(draft, note) },
        }),
      );
      onSent();
      navigate(`/sessions/${id}`);
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };
  return (
    <aside className="draft card" aria-label="Review draft">
      <h2>
        Review draft · {draft.length} {draft.length === 1 ? 'comment' : 'comments'}
      </h2>
      <ul>
        {draft.map((c) => (
          <li key={c.id}>
            <code>
              {c.path}:{c.line}
            </code>{' '}
            {c.text}{' '}
            <button type="button" className="link-button" onClick={() => onRemove(c.id)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <label htmlFor="review-note">Message (optional)</label>
      <textarea id="review-note" rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="button" className="primary" disabled={busy} onClick={() => void send()}>
        {busy ? 'Sending…' : 'Send to agent'}
      </button>
    </aside>
  );
}
