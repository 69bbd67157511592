import { useEffect, useRef, useState } from 'react';
import { api, unwrap, type Session } from '../api/client';
import { useLoad } from '../hooks';

type Visibility = Session['visibility'];

const CHOICES: { value: Visibility; label: string; hint: string }[] = [
  { value: 'private', label: 'Private', hint: 'Only you' },
  { value: 'team', label: 'Team', hint: 'Members of your teams, read-only' },
  { value: 'public', label: 'Public', hint: 'Everyone signed in to this server, read-only' },
];

/**
 * The Share control of a session's owner, as a modal `<dialog>`: who may open the
 * session (private, team, public), whether viewers see the owner's name, and the link
 * with who can open it, as the server says.
 */
export function ShareDialog({
  session,
  onClose,
  onChanged,
}: {
  session: Pick<Session, 'id' | 'visibility' | 'hideOwner'>;
  onClose: () => void;
  onChanged: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const share = useLoad(
    () => unwrap(api.GET('/api/v1/sessions/{id}/share', { params: { path: { id: session.id } } })),
    [session.id, session.visibility, session.hideOwner],
  );
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const change = async (body: { visibility?: Visibility; hideOwner?: boolean }) => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        api.PATCH('/api/v1/sessions/{id}', { params: { path: { id: session.id } }, body }),
      );
      onChanged();
      share.reload();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const copy = async (url: string) => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      window.prompt('Copy this link:', url);
    }
  };
  const current = share.data;

  return (
    <dialog
      ref={dialog}
      className="dialog share-dialog"
      onClose={onClose}
      aria-labelledby="share-title"
    >
      <h2 id="share-title">Share this session</h2>
      <fieldset disabled={busy}>
        <legend>Who can open it</legend>
        {CHOICES.map((choice) => (
          <label key={choice.value} className="share-choice">
            <input
              type="radio"
              name="visibility"
              value={choice.value}
              checked={(current?.visibility ?? session.visibility) === choice.value}
              onChange={() => void change({ visibility: choice.value })}
            />{' '}
            <strong>{choice.label}</strong> <span className="muted">{choice.hint}</span>
          </label>
        ))}
        <label className="share-choice">
          <input
            type="checkbox"
            checked={current?.hideOwner ?? session.hideOwner}
            onChange={(e) => void change({ hideOwner: e.target.checked })}
          />{' '}
          Hide my name from viewers
        </label>
      </fieldset>
      {current && (
        <>
          <p className="share-audience" role="status">
            {current.audience}
          </p>
          {current.repoCheck && current.visibility !== 'private' && (
            <p className="muted">
              A viewer must also be able to read its GitHub repository with their own connected
              GitHub account.
            </p>
          )}
          <div className="share-link">
            <input type="text" readOnly value={current.url} aria-label="Link" />
            <button type="button" onClick={() => void copy(current.url)}>
              {copied ? 'Copied' : 'Copy link'}
            </button>
          </div>
        </>
      )}
      {(error ?? share.error?.message) && (
        <p className="field-error" role="alert">
          {error ?? share.error?.message}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={() => dialog.current?.close()} autoFocus>
          Done
        </button>
      </div>
    </dialog>
  );
}
