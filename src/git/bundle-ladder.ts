/**
 * The bundle fallback ladder for a repo with no remote the server can reach: try the
 * fullest bundle first and step down while it is over the server's limit.
 *   1. every branch, plus the uncommitted work on its own ref;
 *   2. the current branch only, plus the uncommitted work;
 *   3. one squashed commit of the working state.
 * Mechanism (making a bundle) is passed in; the decision is here, and pure.
 */
export const RUNGS = ['all-branches', 'current-branch', 'squashed'] as const;
export type Rung = (typeof RUNGS)[number];

export interface MadeBundle {
  file: string;
  size: number;
}

export type LadderResult =
  | { ok: true; rung: Rung; bundle: MadeBundle; tried: { rung: Rung; size: number }[] }
  | { ok: false; tried: { rung: Rung; size: number }[]; limit: number };

/** Climbs down the ladder until a bundle fits under `limit` bytes. */
export async function climbLadder(
  make: (rung: Rung) => Promise<MadeBundle>,
  limit: number,
): Promise<LadderResult> {
  const tried: { rung: Rung; size: number }[] = [];
  for (const rung of RUNGS) {
    const bundle = await make(rung);
    tried.push({ rung, size: bundle.size });
    if (bundle.size <= limit) return { ok: true, rung, bundle, tried };
  }
  return { ok: false, tried, limit };
}

/** "all-branches 3.1 MB, current-branch 2.0 MB, squashed 1.2 MB" for messages. */
export function describeTried(tried: { rung: Rung; size: number }[]): string {
  return tried.map((t) => `${t.rung} ${megabytes(t.size)}`).join(', ');
}

export function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
