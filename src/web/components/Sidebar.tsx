import { useState } from 'react';
import { api, unwrap, type Session } from '../api/client';
import { useSessions } from '../sessions';
import { Link, navigate } from '../router';
import { ConfirmDelete } from './ConfirmDelete';
import { Icon } from './Icon';
import { PullRequestBadge } from './PullRequestBar';
import { DiffStat, StatusBadge } from './StatusBadge';

export function Sidebar({ path }: { path: string }) {
  const { sessions, error } = useSessions();
  const [showArchived, setShowArchived] = useState(false);
  const [deleting, setDeleting] = useState<Session | null>(null);
  const shown = sessions.filter((s) => s.archived === showArchived);

  const archive = async (session: Session) => {
    await unwrap(
      api.POST('/api/v1/sessions/{id}/archive', { params: { path: { id: session.id } } }),
    );
  };

  return (
    <nav id="sidebar" className="sidebar" aria-label="Sessions">
      <Link href="/" className="button primary new-session">
        New session
      </Link>
      <div className="sidebar-head">
        <h2>{showArchived ? 'Archived sessions' : 'Sessions'}</h2>
        <label className="toggle">
          <input
            type="checkbox"
            checked={showArchived}
            onChange={(e) => setShowArchived(e.target.checked)}
          />
          Show archived
        </label>
      </div>
      {error && <p className="field-error">{error}</p>}
      <ul className="session-list">
        {shown.length === 0 && (
          <li className="muted empty">
            {showArchived ? 'No archived sessions.' : 'No sessions yet.'}
          </li>
        )}
        {shown.map((session) => {
          const href = `/sessions/${session.id}`;
          const current = path === href || path.startsWith(`${href}/`);
          return (
            <li
              key={session.id}
              className={current ? 'current' : undefined}
              data-session={session.id}
            >
              <Link
                href={href}
                className="session-link"
                aria-current={current ? 'page' : undefined}
              >
                <span className="session-title">{session.title}</span>
                <span className="session-meta">
                  <StatusBadge session={session} />
                  <DiffStat {...session.diffStats} />
                  {session.pullRequest && <PullRequestBadge pr={session.pullRequest} />}
                </span>
                <span className="session-repo muted">
                  {session.repo}
                  {session.branch ? ` · ${session.branch}` : ''}
                </span>
              </Link>
              <span className="row-actions">
                {session.archived ? (
                  <button
                    type="button"
                    className="icon-button danger"
                    aria-label={`Delete ${session.title}`}
                    title="Delete"
                    onClick={() => setDeleting(session)}
                  >
                    <Icon name="trash" />
                  </button>
                ) : (
                  <button
                    type="button"
                    className="icon-button"
                    aria-label={`Archive ${session.title}`}
                    title="Archive"
                    onClick={() => void archive(session)}
                  >
                    <Icon name="archive" />
                  </button>
                )}
              </span>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-foot">
        <Link
          href="/environments"
          aria-current={path.startsWith('/environments') ? 'page' : undefined}
        >
          Environments
        </Link>
        <Link href="/schedules" aria-current={path === '/schedules' ? 'page' : undefined}>
          Schedules
        </Link>
        <Link href="/settings" aria-current={path === '/settings' ? 'page' : undefined}>
          Settings
        </Link>
      </div>
      {deleting && (
        <ConfirmDelete
          session={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={() => {
            setDeleting(null);
            if (path.startsWith(`/sessions/${deleting.id}`)) navigate('/');
          }}
        />
      )}
    </nav>
  );
}
