import { z } from 'zod';

/** A session's auto-fix as the API, the event log and the web app show it. */
export const AutofixSummarySchema = z.object({
  enabled: z.boolean(),
  mergeable: z
    .enum(['mergeable', 'conflicting', 'unknown'])
    .describe(
      "The PR's mergeable state against its base as last read (unknown while GitHub computes it)",
    ),
  turnsThisHour: z.number().int().describe('Automatic turns in the last hour'),
  maxPerHour: z.number().int().describe('HANGAR_AUTOFIX_MAX_PER_HOUR'),
  stoppedReason: z
    .string()
    .nullable()
    .describe('Why the watch ended by itself: the PR was merged, closed or deleted'),
});
export type AutofixSummary = z.infer<typeof AutofixSummarySchema>;

export type CiWakeUp = z.infer<(typeof autofixEventSchemas)['github.ci']>;
export type ReviewWakeUp = z.infer<(typeof autofixEventSchemas)['github.review']>;
export type ConflictWakeUp = z.infer<(typeof autofixEventSchemas)['github.conflict']>;

/** The wake-up events, each written before the follow-up it caused. */
export const autofixEventSchemas = {
  /** CI failed on the PR's head: the failing checks. */
  'github.ci': z.object({
    number: z.number().int(),
    sha: z.string(),
    checks: z.array(
      z.object({
        name: z.string(),
        conclusion: z.string(),
        summary: z.string().nullable(),
        /** `path:line (level) message`, as GitHub's check annotations say. */
        annotations: z.array(z.string()),
        /** The last lines of its GitHub Actions job log, when it has one. */
        logTail: z.string().optional(),
        url: z.string().nullable().optional(),
      }),
    ),
  }),
  /** New review or conversation comments on the PR, by anyone but Hangar. */
  'github.review': z.object({
    number: z.number().int(),
    comments: z.array(
      z.object({
        /** GitHub's id of the comment: a review comment's reply goes in its thread. */
        id: z.number().int().optional(),
        author: z.string(),
        body: z.string(),
        url: z.string(),
        path: z.string().optional(),
        line: z.number().int().nullable().optional(),
        /** The end of the diff hunk the comment is on. */
        diffHunk: z.string().optional(),
      }),
    ),
  }),
  /** The PR no longer merges cleanly into its base. */
  'github.conflict': z.object({ number: z.number().int(), sha: z.string(), base: z.string() }),
  /** Auto-fix was turned on or off, its PR's mergeable state changed, or it woke the agent. */
  'autofix.updated': AutofixSummarySchema,
} as const;
