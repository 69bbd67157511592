import { useEffect, useState } from 'react';
import { api, asApiError, unwrap, type Session } from '../api/client';

type Autofix = Awaited<ReturnType<typeof readAutofix>>;

const MERGEABLE_LABELS: Record<Autofix['mergeable'], string> = {
  mergeable: 'mergeable',
  conflicting: 'conflicts with its base',
  unknown: 'mergeability not known yet',
};

function readAutofix(id: string) {
  return unwrap(api.GET('/api/v1/sessions/{id}/autofix', { params: { path: { id } } }));
}

/**
 * Beside the PR: auto-fix on or off, its PR's mergeable state, and the automatic turns
 * used this hour. Read again whenever the session changes (its events bump its version).
 */
export function AutofixToggle({ session }: { session: Session }) {
  const [autofix, setAutofix] = useState<Autofix | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let live = true;
    readAutofix(session.id).then(
      (answer) => {
        if (live) setAutofix(answer);
      },
      (failure: unknown) => {
        if (live) setError(asApiError(failure).message);
      },
    );
    return () => {
      live = false;
    };
  }, [session.id, session.version]);

  const toggle = async (enabled: boolean) => {
    setBusy(true);
    setError(null);
    try {
      setAutofix(
        await unwrap(
          api.POST('/api/v1/sessions/{id}/autofix', {
            params: { path: { id: session.id } },
            body: { enabled },
          }),
        ),
      );
    } catch (failure) {
      setError(asApiError(failure).message);
    } finally {
      setBusy(false);
    }
  };

  if (!autofix) return error ? <span className="muted">{error}</span> : null;
  return (
    <span className="autofix" data-autofix={autofix.enabled ? 'on' : 'off'}>
      <label>
        <input
          type="checkbox"
          checked={autofix.enabled}
          disabled={busy}
          onChange={(e) => void toggle(e.target.checked)}
        />{' '}
        Auto-fix
      </label>
      <span className="muted" data-mergeable={autofix.mergeable}>
        {' '}
        · {MERGEABLE_LABELS[autofix.mergeable]}
        {autofix.enabled &&
          ` · ${autofix.turnsThisHour}/${autofix.maxPerHour} automatic turns this hour`}
        {autofix.stoppedReason && ` · stopped: ${autofix.stoppedReason}`}
      </span>
      {error && (
        <span className="notice error" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
