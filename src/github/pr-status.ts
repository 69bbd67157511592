import { z } from 'zod';

/** A session's pull request as the API, the event log and the web app show it. */
export const PullRequestSummarySchema = z.object({
  number: z.number().int(),
  url: z.string().describe('The PR on GitHub'),
  state: z.enum(['open', 'draft', 'merged', 'closed']),
  checks: z
    .object({
      state: z
        .enum(['pending', 'success', 'failure'])
        .describe(
          'failure if any failed; pending while any runs or none has reported; else success',
        ),
      passed: z.number().int(),
      failed: z.number().int(),
      pending: z.number().int(),
    })
    .describe("CI on the PR's head: check runs and commit statuses together"),
});
export type PullRequestSummary = z.infer<typeof PullRequestSummarySchema>;

/** A pull request's state as Hangar shows it. */
export type PullRequestState = 'open' | 'draft' | 'merged' | 'closed';

/** A pull request's CI, its check runs and commit statuses counted together. */
export interface ChecksSummary {
  /** `failure` if any failed, else `pending` if any is unfinished or none has reported yet, else `success`. */
  state: 'pending' | 'success' | 'failure';
  passed: number;
  failed: number;
  pending: number;
}

/** GitHub's open/closed with its draft and merged flags, as one state. */
export function pullRequestState(pull: {
  state: string;
  draft?: boolean | undefined;
  merged?: boolean | undefined;
  merged_at?: string | null | undefined;
}): PullRequestState {
  if (pull.state === 'closed') return pull.merged === true || pull.merged_at ? 'merged' : 'closed';
  return pull.draft === true ? 'draft' : 'open';
}

// A check run's conclusions that let a PR merge (GitHub counts neutral and skipped as passing).
const PASSING = new Set(['success', 'neutral', 'skipped']);

/**
 * Counts a commit's check runs and commit statuses (by context, the latest each). A
 * commit no CI has reported on yet is `pending`: right after a push, CI has not started.
 */
export function summarizeChecks(
  checkRuns: readonly { status: string; conclusion: string | null }[],
  statuses: readonly { state: string }[],
): ChecksSummary {
  let passed = 0;
  let failed = 0;
  let pending = 0;
  for (const run of checkRuns) {
    if (run.status !== 'completed' || run.conclusion === null) pending++;
    else if (PASSING.has(run.conclusion)) passed++;
    else failed++;
  }
  for (const status of statuses) {
    if (status.state === 'success') passed++;
    else if (status.state === 'pending') pending++;
    else failed++;
  }
  const state =
    failed > 0 ? 'failure' : pending > 0 || passed === 0 ? 'pending' : ('success' as const);
  return { state, passed, failed, pending };
}
