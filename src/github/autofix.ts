import type { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { NewEvent } from '../sessions/events.js';
import {
  setWatch,
  updateWatch,
  wakeUpsSince,
  watchOf,
  type AutofixWatch,
  type AutofixWatchChange,
} from '../store/autofix.js';
import { pullRequestOf } from '../store/pull-requests.js';
import type { Db } from '../store/store.js';
import { isAgentText } from './agent-label.js';
import type { AutofixSummary, CiWakeUp, ReviewWakeUp } from './autofix-events.js';
import { ciFollowUp, conflictFollowUp, reviewFollowUp } from './autofix-prompts.js';
import { statusOf } from './client.js';
import { readPullSnapshot, type CachedGet, type Pull, type PullSnapshot } from './pull-snapshot.js';
import type { GitHubRepoRef } from './repo-ref.js';

/** A client for the session's repo, with the token it carries. */
export interface RepoClient {
  client: Octokit;
  ref: GitHubRepoRef;
  token: string;
}

export interface AutofixDeps {
  db: Db;
  /** The session's repo client (its access is checked as for PR status). */
  clientFor: (sessionId: string) => Promise<RepoClient>;
  /** A conditional GET (ETags), shared with PR status. */
  cached: CachedGet;
  /** Records the wake-up event, then sends the follow-up (queued while a turn runs). */
  wake: (sessionId: string, event: NewEvent, followUp: string) => Promise<void>;
  /** Tells the session's watchers its auto-fix changed. */
  announce: (sessionId: string, autofix: AutofixSummary) => Promise<void>;
  /** GitHub's API base (job logs are read from it directly, as a stream). */
  apiUrl: string;
  /** The GitHub App's id: comments it posted are Hangar's. */
  appId: number | undefined;
  maxPerHour: number;
  logger: Logger;
  clock?: () => Date;
}

const HOUR_MS = 60 * 60_000;
const LOG_TAIL_LINES = 80;
const LOG_TAIL_BYTES = 64 * 1024;
const MAX_CHECKS = 5;
const MAX_ANNOTATIONS = 20;
const MAX_COMMENTS = 20;
const HUNK_LINES = 8;
const BODY_CHARS = 4000;
// GitHub computes mergeability in the background after a push: read it again shortly.
const MERGEABLE_RECHECK_MS = 3000;
const MERGEABLE_RECHECKS = 10;

interface Comment {
  id: number;
  body?: string;
  created_at: string;
  html_url: string;
  user: { login: string; type?: string } | null;
  performed_via_github_app?: { id: number } | null;
  path?: string;
  line?: number | null;
  original_line?: number | null;
  diff_hunk?: string;
}

const FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required', 'startup_failure']);

/** What one wake-up carries: its event and its follow-up, and what the watch then records. */
interface WakeUp {
  event: NewEvent;
  followUp: string;
  marks: AutofixWatchChange;
}

/**
 * Auto-fix: watches a session's pull request and wakes its agent with a follow-up when
 * CI fails on the head, someone comments, or the PR stops merging cleanly into its base.
 * Triggers are level-based (what is on GitHub now, against what the watch has handled),
 * so a redelivered webhook or the next poll never wakes the agent twice for one thing.
 */
export class Autofix {
  private readonly checking = new Map<string, Promise<void>>();
  private readonly rechecks = new Map<
    string,
    { timer: NodeJS.Timeout; left: number; sha: string }
  >();
  private readonly clock: () => Date;

  constructor(private readonly deps: AutofixDeps) {
    this.clock = deps.clock ?? (() => new Date());
  }

  /** The session's auto-fix as shown. */
  async summary(sessionId: string, watch?: AutofixWatch): Promise<AutofixSummary> {
    const row = watch ?? (await watchOf(this.deps.db, sessionId));
    return {
      enabled: row?.enabled ?? false,
      mergeable: row?.mergeable ?? 'unknown',
      turnsThisHour: await wakeUpsSince(
        this.deps.db,
        sessionId,
        new Date(this.clock().getTime() - HOUR_MS),
      ),
      maxPerHour: this.deps.maxPerHour,
      stoppedReason: row?.stoppedReason ?? null,
    };
  }

  /** Turns auto-fix on or off for a session; on, its PR is looked at at once. */
  async set(sessionId: string, enabled: boolean): Promise<AutofixSummary> {
    const watch = await setWatch(this.deps.db, sessionId, enabled);
    const summary = await this.summary(sessionId, watch);
    await this.deps.announce(sessionId, summary);
    if (enabled) await this.check(sessionId);
    return this.summary(sessionId);
  }

  /**
   * Looks at the session's PR and wakes the agent for what it has not been woken for
   * yet, within the hourly cap. One check per session at a time.
   */
  check(sessionId: string, seen?: PullSnapshot): Promise<void> {
    const running = this.checking.get(sessionId);
    if (running) return running.then(() => this.check(sessionId, seen));
    const work = this.checkNow(sessionId, seen).finally(() => this.checking.delete(sessionId));
    this.checking.set(sessionId, work);
    return work;
  }

  /** Stops the mergeability rechecks and waits for checks under way. */
  async stop(): Promise<void> {
    for (const { timer } of this.rechecks.values()) clearTimeout(timer);
    this.rechecks.clear();
    await Promise.all([...this.checking.values()].map((p) => p.catch(() => undefined)));
  }

  /** `seen`: the PR and its CI as PR status has just read them (not read again). */
  private async checkNow(sessionId: string, seen?: PullSnapshot): Promise<void> {
    const watch = await watchOf(this.deps.db, sessionId);
    if (!watch?.enabled) return;
    const row = await pullRequestOf(this.deps.db, sessionId);
    if (!row) return;
    if (row.state === 'merged' || row.state === 'closed') {
      await this.end(sessionId, `the pull request was ${row.state}`);
      return;
    }
    const { client, ref, token } = await this.deps.clientFor(sessionId);
    const repo = { owner: ref.owner, repo: ref.repo };
    let snapshot: PullSnapshot;
    try {
      snapshot = seen ?? (await readPullSnapshot(this.deps.cached, client, repo, row.number));
    } catch (error) {
      if (statusOf(error) === 404 || statusOf(error) === 410) {
        await this.end(sessionId, 'the pull request is gone from GitHub');
        return;
      }
      throw error;
    }
    const { pull } = snapshot;
    if (pull.state === 'closed') {
      await this.end(sessionId, `the pull request was ${pull.merged ? 'merged' : 'closed'}`);
      return;
    }
    const mergeable =
      pull.mergeable === true ? 'mergeable' : pull.mergeable === false ? 'conflicting' : 'unknown';
    if (mergeable !== watch.mergeable) {
      await updateWatch(this.deps.db, sessionId, { mergeable });
      await this.deps.announce(sessionId, await this.summary(sessionId));
    }
    if (mergeable === 'unknown') this.recheckSoon(sessionId, pull.head.sha);

    const wakeUps = [
      ...(watch.ciSha === pull.head.sha
        ? []
        : [await this.ciWakeUp(client, repo, snapshot, token)]),
      await this.commentsWakeUp(client, repo, pull, watch),
      mergeable === 'conflicting' && watch.conflictSha !== pull.head.sha
        ? conflictWakeUp(pull)
        : undefined,
    ].filter((w): w is WakeUp => w !== undefined);
    for (const wakeUp of wakeUps) {
      const since = new Date(this.clock().getTime() - HOUR_MS);
      if ((await wakeUpsSince(this.deps.db, sessionId, since)) >= this.deps.maxPerHour) {
        // Left for a later check: the watch has not recorded it as handled.
        this.deps.logger.info({ session: sessionId }, 'auto-fix: hourly cap reached');
        return;
      }
      await updateWatch(this.deps.db, sessionId, wakeUp.marks);
      await this.deps.wake(sessionId, wakeUp.event, wakeUp.followUp);
      await this.deps.announce(sessionId, await this.summary(sessionId));
    }
  }

  /** The watch ends by itself (the PR merged, closed or gone): the session may hibernate. */
  private async end(sessionId: string, reason: string): Promise<void> {
    await updateWatch(this.deps.db, sessionId, { enabled: false, stoppedReason: reason });
    await this.deps.announce(sessionId, await this.summary(sessionId));
  }

  private recheckSoon(sessionId: string, sha: string): void {
    const held = this.rechecks.get(sessionId);
    const left = held && held.sha === sha ? held.left - 1 : MERGEABLE_RECHECKS;
    if (held) clearTimeout(held.timer);
    if (left <= 0) return;
    const timer = setTimeout(() => {
      this.check(sessionId).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, session: sessionId }, 'auto-fix: recheck failed');
      });
    }, MERGEABLE_RECHECK_MS);
    timer.unref();
    this.rechecks.set(sessionId, { timer, left, sha });
  }

  /** A follow-up for CI that finished failing on the head (not while checks still run). */
  private async ciWakeUp(
    client: Octokit,
    repo: { owner: string; repo: string },
    { pull, runs, statuses }: PullSnapshot,
    token: string,
  ): Promise<WakeUp | undefined> {
    const sha = pull.head.sha;
    const pending =
      runs.some((r) => r.status !== 'completed') || statuses.some((s) => s.state === 'pending');
    const failedRuns = runs.filter(
      (r) => r.status === 'completed' && FAILED.has(r.conclusion ?? ''),
    );
    const failedStatuses = statuses.filter((s) => s.state === 'failure' || s.state === 'error');
    if (pending || failedRuns.length + failedStatuses.length === 0) return undefined;

    const checks: CiWakeUp['checks'] = [];
    for (const run of failedRuns.slice(0, MAX_CHECKS)) {
      const summary = [run.output?.title, run.output?.summary].filter(Boolean).join(': ');
      const logTail = await readLogTail(this.deps.apiUrl, repo, run.id, token, this.deps.logger);
      checks.push({
        name: run.name,
        conclusion: run.conclusion ?? 'failure',
        summary: summary ? clip(summary) : null,
        annotations: await this.annotations(client, repo, run.id),
        ...(logTail ? { logTail } : {}),
        url: run.details_url ?? null,
      });
    }
    for (const status of failedStatuses.slice(0, MAX_CHECKS)) {
      checks.push({
        name: status.context,
        conclusion: status.state,
        summary: status.description ? clip(status.description) : null,
        annotations: [],
        url: status.target_url ?? null,
      });
    }
    const data: CiWakeUp = { number: pull.number, sha, checks };
    return {
      event: { type: 'github.ci', data },
      followUp: ciFollowUp(data, pull.head.ref),
      marks: { ciSha: sha },
    };
  }

  private async annotations(
    client: Octokit,
    repo: { owner: string; repo: string },
    checkRunId: number,
  ): Promise<string[]> {
    try {
      const { data } = await client.rest.checks.listAnnotations({
        ...repo,
        check_run_id: checkRunId,
        per_page: MAX_ANNOTATIONS,
      });
      return data.map(
        (a) =>
          `${a.path}:${a.start_line} (${a.annotation_level ?? 'note'})${a.title ? ` ${a.title}:` : ''} ${clip(a.message ?? '')}`,
      );
    } catch (error) {
      this.deps.logger.info({ err: error }, 'auto-fix: no annotations for a check run');
      return [];
    }
  }

  /** A follow-up for the comments since the last one handled, none of them Hangar's. */
  private async commentsWakeUp(
    client: Octokit,
    repo: { owner: string; repo: string },
    pull: Pull,
    watch: AutofixWatch,
  ): Promise<WakeUp | undefined> {
    const [review, talk] = (await Promise.all([
      this.deps.cached(client, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', {
        ...repo,
        pull_number: pull.number,
        per_page: 100,
        sort: 'created',
        direction: 'desc',
      }),
      this.deps.cached(client, 'GET /repos/{owner}/{repo}/issues/{issue_number}/comments', {
        ...repo,
        issue_number: pull.number,
        per_page: 100,
      }),
    ])) as [Comment[], Comment[]];
    const fresh = (list: Comment[], seen: number) =>
      list
        .filter((c) => c.id > seen && Date.parse(c.created_at) >= watch.since.getTime() - 1000)
        .sort((a, b) => a.id - b.id);
    const newReview = fresh(review, watch.reviewCommentSeen);
    const newTalk = fresh(talk, watch.issueCommentSeen);
    const marks: AutofixWatchChange = {
      reviewCommentSeen: Math.max(watch.reviewCommentSeen, ...newReview.map((c) => c.id)),
      issueCommentSeen: Math.max(watch.issueCommentSeen, ...newTalk.map((c) => c.id)),
    };
    const theirs = [...newReview, ...newTalk]
      .filter((c) => !this.isHangars(c))
      .slice(0, MAX_COMMENTS);
    if (theirs.length === 0) {
      // Only Hangar's own: seen, and nothing to wake for.
      if (newReview.length + newTalk.length > 0)
        await updateWatch(this.deps.db, watch.sessionId, marks);
      return undefined;
    }
    const data: ReviewWakeUp = {
      number: pull.number,
      comments: theirs.map((c) => ({
        id: c.id,
        author: c.user?.login ?? 'ghost',
        body: clip(c.body ?? ''),
        url: c.html_url,
        ...(c.path
          ? {
              path: c.path,
              line: c.line ?? c.original_line ?? null,
              diffHunk: (c.diff_hunk ?? '').split('\n').slice(-HUNK_LINES).join('\n'),
            }
          : {}),
      })),
    };
    return {
      event: { type: 'github.review', data },
      followUp: reviewFollowUp(data, pull.head.ref),
      marks,
    };
  }

  private isHangars(comment: Comment): boolean {
    // Written through the agent's GitHub tools: labelled and marked as the agent's.
    if (isAgentText(comment.body)) return true;
    const app = comment.performed_via_github_app?.id;
    return app !== undefined && app === this.deps.appId;
  }
}

function conflictWakeUp(pull: Pull): WakeUp {
  const data = { number: pull.number, sha: pull.head.sha, base: pull.base.ref };
  return {
    event: { type: 'github.conflict', data },
    followUp: conflictFollowUp(data, pull.head.ref),
    marks: { conflictSha: pull.head.sha },
  };
}

function clip(text: string): string {
  return text.length > BODY_CHARS ? `${text.slice(0, BODY_CHARS)}…` : text;
}

/** Control characters and ANSI colour codes out of a log line; tabs kept. */
function plain(line: string): string {
  // eslint-disable-next-line no-control-regex -- that is the point
  return line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * The tail of an Actions job's log. GitHub answers the logs route with a 302 to a
 * short-lived download link; the link needs no credential, so the token is not sent on.
 */
export async function readLogTail(
  apiUrl: string,
  repo: { owner: string; repo: string },
  jobId: number,
  token: string,
  logger: Logger,
): Promise<string | undefined> {
  try {
    const api = await fetch(
      `${apiUrl}/repos/${encodeURIComponent(repo.owner)}/${encodeURIComponent(repo.repo)}/actions/jobs/${jobId}/logs`,
      {
        redirect: 'manual',
        headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json' },
      },
    );
    await api.body?.cancel();
    const location = api.headers.get('location');
    if (api.status !== 302 || !location) return undefined;
    const download = await fetch(location);
    if (!download.ok || !download.body) {
      await download.body?.cancel();
      return undefined;
    }
    let tail = Buffer.alloc(0);
    for await (const chunk of download.body) {
      tail = Buffer.concat([tail, chunk as Uint8Array]);
      if (tail.length > LOG_TAIL_BYTES) tail = tail.subarray(tail.length - LOG_TAIL_BYTES);
    }
    const lines = tail.toString('utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-LOG_TAIL_LINES).map(plain).join('\n') || undefined;
  } catch (error) {
    logger.info({ err: error, job: jobId }, 'auto-fix: could not read a job log');
    return undefined;
  }
}
