import type { Octokit } from '@octokit/rest';

/** A conditional GET (ETags): the body of the last 200 when GitHub answers 304. */
export type CachedGet = (
  client: Octokit,
  route: string,
  params: Record<string, string | number>,
) => Promise<unknown>;

/** A pull request as GitHub answers it, the fields Hangar reads. */
export interface Pull {
  number: number;
  state: string;
  draft?: boolean;
  merged?: boolean;
  mergeable?: boolean | null;
  head: { sha: string; ref: string };
  base: { ref: string };
}

/** A check run on a commit, the fields Hangar reads. */
export interface CheckRun {
  id: number;
  name: string;
  status: string;
  conclusion: string | null;
  details_url?: string | null;
  output?: { title?: string | null; summary?: string | null };
}

/** A commit status (one per context), the fields Hangar reads. */
export interface CommitStatus {
  context: string;
  state: string;
  description?: string | null;
  target_url?: string | null;
}

/** A PR and the CI on its head, as read at one moment. */
export interface PullSnapshot {
  pull: Pull;
  runs: CheckRun[];
  statuses: CommitStatus[];
}

/**
 * Reads a PR, then its head's check runs and commit statuses side by side: what PR
 * status and auto-fix both look at, read once per webhook delivery or poll.
 */
export async function readPullSnapshot(
  cached: CachedGet,
  client: Octokit,
  repo: { owner: string; repo: string },
  number: number,
): Promise<PullSnapshot> {
  const pull = (await cached(client, 'GET /repos/{owner}/{repo}/pulls/{pull_number}', {
    ...repo,
    pull_number: number,
  })) as Pull;
  const at = { ...repo, ref: pull.head.sha, per_page: 100 };
  const [runs, combined] = await Promise.all([
    cached(client, 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', at),
    cached(client, 'GET /repos/{owner}/{repo}/commits/{ref}/status', at),
  ]);
  return {
    pull,
    runs: (runs as { check_runs: CheckRun[] }).check_runs,
    statuses: (combined as { statuses: CommitStatus[] }).statuses,
  };
}
