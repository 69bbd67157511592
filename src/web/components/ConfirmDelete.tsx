import { useEffect, useRef, useState } from 'react';
import { api, unwrap, type Session } from '../api/client';
import { draftKey } from '../diff';

/** The confirmation a permanent delete needs, as a modal `<dialog>`. */
export function ConfirmDelete({
  session,
  onClose,
  onDeleted,
}: {
  session: Pick<Session, 'id' | 'title'>;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    dialog.current?.showModal();
  }, []);

  const remove = async () => {
    setBusy(true);
    try {
      await unwrap(api.DELETE('/api/v1/sessions/{id}', { params: { path: { id: session.id } } }));
      localStorage.removeItem(draftKey(session.id));
      onDeleted();
    } catch (failure) {
      setError((failure as Error).message);
      setBusy(false);
    }
  };

  return (
    <dialog ref={dialog} className="dialog" onClose={onClose} aria-labelledby="delete-title">
      <h2 id="delete-title">Delete this session?</h2>
      <p>
        <strong>{session.title}</strong> will be deleted permanently: its transcript, its sandbox
        and its disk. This cannot be undone. A branch already pushed to your git host stays there.
      </p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" onClick={() => dialog.current?.close()} autoFocus>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
          {busy ? 'Deleting…' : 'Delete permanently'}
        </button>
      </div>
    </dialog>
  );
}
