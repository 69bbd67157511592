/** Where a session is in its life; stored on the session and sent in `session.status` events. */
export const sessionStatuses = [
  'queued',
  'provisioning',
  'running',
  'idle',
  'hibernated',
  'failed',
] as const;
export type SessionStatus = (typeof sessionStatuses)[number];

/** The steps of `provisioning`, in order (the session's `subStep`). */
export const provisioningSteps = ['sandbox', 'clone', 'setup', 'agent'] as const;
export type ProvisioningStep = (typeof provisioningSteps)[number];
