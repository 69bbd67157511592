import type { Session } from '../api/client';

const LABELS: Record<string, string> = {
  queued: 'Queued',
  provisioning: 'Provisioning',
  running: 'Running',
  idle: 'Idle',
  hibernated: 'Hibernated',
  failed: 'Failed',
};

const SUB_STEPS: Record<string, string> = {
  sandbox: 'sandbox',
  clone: 'cloning',
  setup: 'setup script',
  agent: 'starting agent',
};

/**
 * The session's state as a badge: archived wins, provisioning names its sub-step, a
 * queued session waiting for a slot says so (the detail is its title).
 */
export function StatusBadge({
  session,
}: {
  session: Pick<Session, 'status' | 'subStep' | 'archived' | 'statusDetail'>;
}) {
  const status = session.archived ? 'archived' : session.status;
  let label = session.archived ? 'Archived' : (LABELS[session.status] ?? session.status);
  if (status === 'provisioning' && session.subStep) {
    label += ` · ${SUB_STEPS[session.subStep] ?? session.subStep}`;
  }
  // At the user's limit of concurrent sessions: the detail says how many are in use.
  if (status === 'queued' && session.statusDetail) label += ' · waiting';
  return (
    <span
      className={`badge badge-${status}`}
      data-status={status}
      title={session.statusDetail ?? undefined}
    >
      {label}
    </span>
  );
}

/** `+42 −18`, the diff indicator. */
export function DiffStat({ additions, deletions }: { additions: number; deletions: number }) {
  return (
    <span className="diffstat" aria-label={`${additions} lines added, ${deletions} removed`}>
      <span className="add">+{additions}</span> <span className="del">−{deletions}</span>
    </span>
  );
}
