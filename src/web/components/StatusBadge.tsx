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

/** The session's state as a badge: archived wins, provisioning names its sub-step. */
export function StatusBadge({
  session,
}: {
  session: Pick<Session, 'status' | 'subStep' | 'archived'>;
}) {
  const status = session.archived ? 'archived' : session.status;
  let label = session.archived ? 'Archived' : (LABELS[session.status] ?? session.status);
  if (status === 'provisioning' && session.subStep) {
    label += ` · ${SUB_STEPS[session.subStep] ?? session.subStep}`;
  }
  return (
    <span className={`badge badge-${status}`} data-status={status}>
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
