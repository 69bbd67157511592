import { useState } from 'react';
import { api, asApiError, unwrap, type Session } from '../api/client';
import { AutofixToggle } from './AutofixToggle';

/** A session's pull request as the API gives it. */
export type PullRequest = NonNullable<Session['pullRequest']>;

const STATE_LABELS: Record<PullRequest['state'], string> = {
  open: 'Open',
  draft: 'Draft',
  merged: 'Merged',
  closed: 'Closed',
};

const CHECK_LABELS: Record<PullRequest['checks']['state'], string> = {
  pending: 'CI running',
  success: 'CI passed',
  failure: 'CI failed',
};

/** What the agent is asked when Create PR finds uncommitted changes. */
export const COMMIT_REQUEST =
  'Commit your uncommitted changes with a clear message and push them with `git push origin HEAD`.';

/** The sidebar's small PR badge: its number and state, coloured by CI. */
export function PullRequestBadge({ pr }: { pr: PullRequest }) {
  return (
    <span
      className={`badge pr-badge pr-${pr.state} checks-${pr.checks.state}`}
      data-pr-state={pr.state}
      data-checks={pr.checks.state}
      title={`${STATE_LABELS[pr.state]} pull request · ${CHECK_LABELS[pr.checks.state]}`}
    >
      PR #{pr.number}
    </span>
  );
}

/**
 * Under the session's header: a Create PR button, or the PR's link and its CI bar
 * (passed, failed and pending checks as parts of one bar). Uncommitted changes offer
 * to ask the agent to commit them.
 */
export function PullRequestBar({ session }: { session: Session }) {
  const pr = session.pullRequest;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ message: string; uncommitted: boolean } | null>(null);
  const [asked, setAsked] = useState(false);
  const path = { params: { path: { id: session.id } } };

  const create = async () => {
    setBusy(true);
    setError(null);
    try {
      await unwrap(api.POST('/api/v1/sessions/{id}/pull-request', { ...path, body: {} }));
    } catch (failure) {
      const apiError = asApiError(failure);
      setError({ message: apiError.message, uncommitted: apiError.code === 'uncommitted_changes' });
    } finally {
      setBusy(false);
    }
  };
  const askToCommit = async () => {
    try {
      await unwrap(
        api.POST('/api/v1/sessions/{id}/messages', { ...path, body: { text: COMMIT_REQUEST } }),
      );
      setAsked(true);
      setError(null);
    } catch (failure) {
      setError({ message: asApiError(failure).message, uncommitted: false });
    }
  };

  if (!pr) {
    return (
      <div className="pr-bar">
        <button type="button" disabled={busy} onClick={() => void create()}>
          {busy ? 'Creating PR…' : 'Create PR'}
        </button>
        {asked && (
          <span className="muted" role="status">
            Asked the agent to commit: create the PR when its turn ends.
          </span>
        )}
        {error && (
          <p className="notice error pr-error" role="alert">
            {error.message}
            {error.uncommitted && (
              <>
                {' '}
                <button type="button" onClick={() => void askToCommit()}>
                  Ask the agent to commit
                </button>
              </>
            )}
          </p>
        )}
      </div>
    );
  }
  const { checks } = pr;
  const total = checks.passed + checks.failed + checks.pending;
  const part = (n: number) => `${total === 0 ? 0 : (100 * n) / total}%`;
  return (
    <div className="pr-bar" data-pr-state={pr.state}>
      <a href={pr.url} target="_blank" rel="noreferrer" className="pr-link">
        PR #{pr.number} · {STATE_LABELS[pr.state]}
      </a>
      <AutofixToggle session={session} />
      <div
        className={`ci-bar checks-${checks.state}`}
        role="status"
        data-checks={checks.state}
        aria-label={`${CHECK_LABELS[checks.state]}: ${checks.passed} passed, ${checks.failed} failed, ${checks.pending} pending`}
      >
        <span className="ci-label">{CHECK_LABELS[checks.state]}</span>
        <span className="ci-track" aria-hidden="true">
          <span className="ci-passed" style={{ width: part(checks.passed) }} />
          <span className="ci-failed" style={{ width: part(checks.failed) }} />
          <span className="ci-pending" style={{ width: part(checks.pending) }} />
        </span>
        <span className="ci-counts muted">
          {checks.passed} passed · {checks.failed} failed · {checks.pending} pending
        </span>
      </div>
    </div>
  );
}
