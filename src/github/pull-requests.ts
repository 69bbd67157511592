import type { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import type { NewEvent } from '../sessions/events.js';
import type { Source } from '../sessions/source.js';
import { loadSession, type Session } from '../store/sessions.js';
import {
  firstDelivery,
  lastAgentMessage,
  openPullRequests,
  pullRequestOf,
  pullRequestsNumbered,
  savePullRequest,
  updatePullRequest,
  type StoredPullRequest,
} from '../store/pull-requests.js';
import type { Db } from '../store/store.js';
import { githubClient, statusOf, unexpected } from './client.js';
import {
  BranchNotPushedError,
  NoChangesToMergeError,
  NotOnGitHubError,
  PushFailedError,
  UncommittedChangesError,
} from './errors.js';
import type { AutofixSummary } from './autofix-events.js';
import { Autofix, type AutofixDeps, type RepoClient } from './autofix.js';
import type { GitHub, RepoAccess } from './github.js';
import { pullRequestState, summarizeChecks, type PullRequestSummary } from './pr-status.js';
import { readPullSnapshot, type PullSnapshot } from './pull-snapshot.js';
import { parseGitHubRepo, type GitHubRepoRef } from './repo-ref.js';

/** The session fields a pull request is made from. */
export interface PullRequestSession {
  id: string;
  userId: string;
  title: string;
  source: Record<string, unknown>;
  branch: string | null;
}

/** A live session's git, run in its sandbox (undefined when the sandbox is not running). */
export type SessionGit = (
  sessionId: string,
  args: string[],
) => Promise<{ exitCode: number; stdout: string; stderr: string } | undefined>;

export interface PullRequestsDeps {
  db: Db;
  github: GitHub;
  git: SessionGit;
  /** What the agent last said in the session (the PR body's summary). */
  lastAgentMessage: (sessionId: string) => Promise<string | undefined>;
  /** Tells the session's watchers its pull request changed (an event in its log). */
  announce: (sessionId: string, pullRequest: PullRequestSummary) => Promise<void>;
  /** Tells the session's watchers its auto-fix changed. */
  announceAutofix?: (sessionId: string, autofix: AutofixSummary) => Promise<void>;
  loadSession: (sessionId: string) => Promise<PullRequestSession | undefined>;
  /** The URL people reach this server at, for the link back to the session. */
  publicUrl: () => string;
  logger: Logger;
  /** HANGAR_GITHUB_POLL_SECONDS: how often open pull requests are polled; 0: never. */
  pollSeconds: number;
  /** Auto-fix: how a wake-up reaches the session; without it there is no auto-fix. */
  autofix?: Pick<AutofixDeps, 'wake' | 'maxPerHour'> | undefined;
}

/** What Create PR takes. */
export interface PullRequestInput {
  title?: string | undefined;
  body?: string | undefined;
  draft?: boolean | undefined;
}

const BODY_SUMMARY_CHARS = 4000;
const ACCESS_TTL_MS = 10 * 60_000;
const ETAG_CACHE_ENTRIES = 2000;

/**
 * The paths `git status --porcelain=v1 -z` lists: `XY path` entries, a rename's or
 * copy's source following it as an entry of its own.
 */
export function changedFiles(porcelain: string): string[] {
  const entries = porcelain.split('\0');
  const files: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i] ?? '';
    if (entry.length < 4) continue;
    files.push(entry.slice(3));
    if (entry[0] === 'R' || entry[0] === 'C') i++;
  }
  return files;
}

/** The pull request of a session, as the API shows it. */
export function toSummary(row: StoredPullRequest): PullRequestSummary {
  return {
    number: row.number,
    url: row.url,
    state: row.state,
    checks: {
      state: row.checksState,
      passed: row.checksPassed,
      failed: row.checksFailed,
      pending: row.checksPending,
    },
  };
}

/**
 * Sessions' pull requests: Create PR (pushing the session branch first), and their
 * state and CI kept current from webhooks, or by polling with conditional requests.
 */
export class PullRequests {
  private readonly etagCache = new Map<string, { etag: string; data: unknown }>();
  private readonly access = new Map<string, { at: number; access: Promise<RepoAccess> }>();
  private readonly refreshing = new Map<string, Promise<PullSnapshot | undefined>>();
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** Watches sessions' PRs and wakes their agents (when the server has auto-fix). */
  readonly autofix: Autofix | undefined;

  constructor(private readonly deps: PullRequestsDeps) {
    const wiring = deps.autofix;
    this.autofix =
      wiring &&
      new Autofix({
        ...wiring,
        db: deps.db,
        clientFor: (id) => this.clientFor(id),
        cached: (client, route, params) => this.cached(client, route, params),
        announce: async (id, summary) => {
          await deps.announceAutofix?.(id, summary);
        },
        apiUrl: deps.github.config.apiUrl,
        appId: deps.github.config.app?.id,
        logger: deps.logger,
      });
  }

  /** A client for the session's repo with the session's credential (access rechecked every few minutes). */
  async clientFor(sessionId: string): Promise<RepoClient> {
    const session = await this.deps.loadSession(sessionId);
    if (!session) throw new Error(`no session ${sessionId}`);
    const ref = this.repoOf(session);
    const token = await (await this.accessFor(session, ref)).credential.token();
    return { client: githubClient(this.deps.github.config, token), ref, token };
  }

  /** The repo of a session whose source is on the configured GitHub; throws if it is not. */
  repoOf(session: PullRequestSession): GitHubRepoRef {
    const source = session.source as Source;
    const ref =
      source.type === 'git' ? parseGitHubRepo(source.url, this.deps.github.config) : undefined;
    if (!ref) throw new NotOnGitHubError(this.deps.github.config.webUrl);
    return ref;
  }

  /**
   * Opens the session's pull request, or answers the one it has. Uncommitted changes in
   * the sandbox are refused (named); commits not on GitHub yet are pushed first.
   */
  async create(
    session: PullRequestSession,
    input: PullRequestInput,
  ): Promise<{ pullRequest: PullRequestSummary; created: boolean }> {
    const ref = this.repoOf(session);
    const branch = session.branch ?? '';
    const existing = await pullRequestOf(this.deps.db, session.id);
    if (existing) return { pullRequest: toSummary(existing), created: false };
    const access = await this.deps.github.resolveRepoAccess(session.userId, ref);
    this.access.set(session.id, { at: Date.now(), access: Promise.resolve(access) });
    await this.pushBranch(session.id, branch);
    const client = githubClient(this.deps.github.config, await access.credential.token());
    const source = session.source as Extract<Source, { type: 'git' }>;
    const pull = await this.findOrOpen(client, ref, branch, source.branch, async () => ({
      title: input.title ?? session.title,
      body: input.body ?? (await this.defaultBody(session)),
      draft: input.draft ?? false,
    }));
    const row = await savePullRequest(this.deps.db, {
      sessionId: session.id,
      repo: `${ref.owner}/${ref.repo}`,
      number: pull.number,
      url: pull.html_url,
      state: pullRequestState(pull),
      headSha: pull.head.sha,
    });
    await this.refresh(row.sessionId).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, session: session.id }, 'could not read the PR checks');
    });
    const current = (await pullRequestOf(this.deps.db, session.id)) ?? row;
    await this.deps.announce(session.id, toSummary(current));
    return { pullRequest: toSummary(current), created: true };
  }

  /** Refuses uncommitted work; pushes commits the remote branch lacks, through the git proxy. */
  private async pushBranch(sessionId: string, branch: string): Promise<void> {
    const status = await this.deps.git(sessionId, ['status', '--porcelain=v1', '-z']);
    // Not running (hibernated): its last turn ended with the work as it is on GitHub.
    if (!status) return;
    if (status.exitCode !== 0) throw new PushFailedError(branch, status.stderr);
    const files = changedFiles(status.stdout);
    if (files.length > 0) throw new UncommittedChangesError(files);
    const fetched = await this.deps.git(sessionId, ['fetch', '-q', 'origin', branch]);
    const ahead = await this.deps.git(sessionId, [
      'rev-list',
      '--count',
      fetched?.exitCode === 0 ? 'FETCH_HEAD..HEAD' : 'HEAD',
    ]);
    if (ahead && ahead.exitCode === 0 && Number(ahead.stdout.trim()) === 0) return;
    const pushed = await this.deps.git(sessionId, [
      'push',
      '-q',
      'origin',
      `HEAD:refs/heads/${branch}`,
    ]);
    if (pushed && pushed.exitCode !== 0) throw new PushFailedError(branch, pushed.stderr);
  }

  private async findOrOpen(
    client: Octokit,
    ref: GitHubRepoRef,
    head: string,
    base: string,
    content: () => Promise<{ title: string; body: string; draft: boolean }>,
  ) {
    const find = async () => {
      const { data } = await client.rest.pulls.list({
        owner: ref.owner,
        repo: ref.repo,
        head: `${ref.owner}:${head}`,
        state: 'open',
      });
      return data[0];
    };
    try {
      // Made already: by the agent itself, or by an earlier call whose answer was lost.
      const found = await find();
      if (found) return found;
      const { title, body, draft } = await content();
      const { data } = await client.rest.pulls.create({
        owner: ref.owner,
        repo: ref.repo,
        head,
        base,
        title,
        body,
        draft,
      });
      return data;
    } catch (error) {
      if (statusOf(error) !== 422)
        throw unexpected(error, `opening a pull request on ${ref.owner}/${ref.repo}`);
      const message = JSON.stringify((error as { response?: { data?: unknown } }).response?.data);
      if (/already exists/.test(message)) {
        const found = await find();
        if (found) return found;
      }
      if (/No commits between/i.test(message)) throw new NoChangesToMergeError(head, base);
      throw new BranchNotPushedError(head, `${ref.owner}/${ref.repo}`);
    }
  }

  private async defaultBody(session: PullRequestSession): Promise<string> {
    const said = (await this.deps.lastAgentMessage(session.id))?.trim() ?? '';
    const summary =
      said.length > BODY_SUMMARY_CHARS ? `${said.slice(0, BODY_SUMMARY_CHARS)}…` : said;
    const link = `Made in a Hangar session: ${this.deps.publicUrl()}/sessions/${session.id}`;
    return summary ? `${summary}\n\n---\n${link}` : link;
  }

  /**
   * Reads the PR, its head's check runs and commit statuses again (conditional requests:
   * an unchanged answer is a 304 that costs no rate limit), stores what changed and
   * announces it. One refresh per session at a time.
   */
  refresh(sessionId: string): Promise<PullSnapshot | undefined> {
    const running = this.refreshing.get(sessionId);
    if (running) return running.then(() => this.refresh(sessionId));
    const work = this.refreshNow(sessionId).finally(() => this.refreshing.delete(sessionId));
    this.refreshing.set(sessionId, work);
    return work;
  }

  private async refreshNow(sessionId: string): Promise<PullSnapshot | undefined> {
    const row = await pullRequestOf(this.deps.db, sessionId);
    const session = row && (await this.deps.loadSession(sessionId));
    if (!row || !session) return undefined;
    const ref = this.repoOf(session);
    const client = githubClient(
      this.deps.github.config,
      await (await this.accessFor(session, ref)).credential.token(),
    );
    try {
      const snapshot = await readPullSnapshot(
        (...args) => this.cached(...args),
        client,
        { owner: ref.owner, repo: ref.repo },
        row.number,
      );
      const { pull } = snapshot;
      const checks = summarizeChecks(snapshot.runs, snapshot.statuses);
      const state = pullRequestState(pull);
      const changed =
        state !== row.state ||
        pull.head.sha !== row.headSha ||
        checks.state !== row.checksState ||
        checks.passed !== row.checksPassed ||
        checks.failed !== row.checksFailed ||
        checks.pending !== row.checksPending;
      await updatePullRequest(this.deps.db, sessionId, {
        state,
        headSha: pull.head.sha,
        checksState: checks.state,
        checksPassed: checks.passed,
        checksFailed: checks.failed,
        checksPending: checks.pending,
        checkedAt: new Date(),
      });
      if (changed) {
        await this.deps.announce(sessionId, {
          number: row.number,
          url: row.url,
          state,
          checks,
        });
      }
      return snapshot;
    } catch (error) {
      if (statusOf(error) === 401) this.access.delete(sessionId);
      throw error;
    }
  }

  /** The session's repo access, checked again every few minutes (a token may be revoked). */
  private accessFor(session: PullRequestSession, ref: GitHubRepoRef): Promise<RepoAccess> {
    const held = this.access.get(session.id);
    if (held && Date.now() - held.at < ACCESS_TTL_MS) return held.access;
    const access = this.deps.github.resolveRepoAccess(session.userId, ref);
    this.access.set(session.id, { at: Date.now(), access });
    access.catch(() => this.access.delete(session.id));
    return access;
  }

  /** A GET with If-None-Match: a 304 answers the body kept from the last 200. */
  async cached(
    client: Octokit,
    route: string,
    params: Record<string, string | number>,
  ): Promise<unknown> {
    const key = `${route} ${JSON.stringify(params)}`;
    const held = this.etagCache.get(key);
    try {
      const answer = await client.request(route, {
        ...params,
        headers: held ? { 'if-none-match': held.etag } : {},
      });
      const etag = answer.headers.etag;
      this.etagCache.delete(key);
      if (etag) this.etagCache.set(key, { etag, data: answer.data });
      // Oldest first: a map keeps insertion order, so the first key is the least recent.
      if (this.etagCache.size > ETAG_CACHE_ENTRIES) {
        const oldest = this.etagCache.keys().next().value;
        if (oldest !== undefined) this.etagCache.delete(oldest);
      }
      return answer.data;
    } catch (error) {
      if (held && statusOf(error) === 304) return held.data;
      throw error;
    }
  }

  /**
   * A verified webhook delivery: handled once per delivery id. A `pull_request` event
   * refreshes that PR; check runs, suites, statuses and pushes refresh the repo's open
   * PRs. Returns whether it was new.
   */
  async handleDelivery(id: string, event: string, payload: unknown): Promise<boolean> {
    if (!(await firstDelivery(this.deps.db, id, event))) return false;
    const body = payload as { repository?: { full_name?: string }; number?: number };
    const repo = body.repository?.full_name;
    if (!repo) return true;
    let rows: StoredPullRequest[] = [];
    if (event === 'pull_request' && typeof body.number === 'number') {
      rows = await pullRequestsNumbered(this.deps.db, repo, body.number);
    } else if (['check_run', 'check_suite', 'status', 'push'].includes(event)) {
      rows = await openPullRequests(this.deps.db, repo);
    } else {
      // Comments on a PR (review comments, reviews, and the conversation's issue comments).
      const number = numberOfCommentEvent(event, payload);
      if (number !== undefined) rows = await pullRequestsNumbered(this.deps.db, repo, number);
    }
    await this.refreshAll(rows);
    return true;
  }

  private async refreshAll(rows: StoredPullRequest[]): Promise<void> {
    for (const row of rows) {
      const snapshot = await this.refresh(row.sessionId).catch((error: unknown) => {
        // A revoked token or GitHub down: the stored state stays, the next poll tries again.
        this.deps.logger.warn({ err: error, session: row.sessionId }, 'could not refresh a PR');
        return undefined;
      });
      // After the refresh, on what it read: a merged, closed or deleted PR ends its watch there.
      await this.autofix?.check(row.sessionId, snapshot).catch((error: unknown) => {
        this.deps.logger.warn({ err: error, session: row.sessionId }, 'auto-fix check failed');
      });
    }
  }

  /** Starts polling open pull requests every HANGAR_GITHUB_POLL_SECONDS (unless 0). */
  start(): void {
    if (this.deps.pollSeconds <= 0 || this.pollTimer) return;
    this.pollTimer = setInterval(() => {
      if (this.polling) return;
      this.polling = openPullRequests(this.deps.db)
        .then((rows) => this.refreshAll(rows))
        .catch((error: unknown) => {
          this.deps.logger.warn({ err: error }, 'could not poll pull requests');
        })
        .finally(() => {
          this.polling = undefined;
        });
    }, this.deps.pollSeconds * 1000);
    this.pollTimer.unref();
  }

  /** Stops polling and waits for a poll under way. */
  async stop(): Promise<void> {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    await this.polling;
    await this.autofix?.stop();
    await Promise.all([...this.refreshing.values()].map((p) => p.catch(() => undefined)));
  }
}

/** The PR a comment event is about: `issue_comment` on a PR's conversation, or a review's. */
function numberOfCommentEvent(event: string, payload: unknown): number | undefined {
  const body = payload as {
    issue?: { number?: unknown; pull_request?: unknown };
    pull_request?: { number?: unknown };
  };
  if (event === 'issue_comment') {
    const n = body.issue?.number;
    return body.issue?.pull_request && typeof n === 'number' ? n : undefined;
  }
  if (event === 'pull_request_review_comment' || event === 'pull_request_review') {
    const n = body.pull_request?.number;
    return typeof n === 'number' ? n : undefined;
  }
  return undefined;
}

/** Create PR and PR status for a running server: sessions' git through the runner, events through the log. */
export function sessionPullRequests(options: {
  db: Db;
  github: GitHub;
  log: { append(sessionId: string, events: NewEvent[]): Promise<unknown> };
  runner: {
    gitInSession: SessionGit;
    sendMessage: (session: Session, text: string) => Promise<{ queued: boolean }>;
  };
  publicUrl: () => string;
  logger: Logger;
}): PullRequests {
  const { db, log } = options;
  return new PullRequests({
    db,
    github: options.github,
    git: (id, args) => options.runner.gitInSession(id, args),
    lastAgentMessage: (id) => lastAgentMessage(db, id),
    announce: async (id, pullRequest) => {
      await log.append(id, [{ type: 'pull_request.updated', data: pullRequest }]);
    },
    announceAutofix: async (id, autofix) => {
      await log.append(id, [{ type: 'autofix.updated', data: autofix }]);
    },
    autofix: {
      maxPerHour: options.github.config.autofixMaxPerHour,
      // The wake-up event first, so the transcript says why the agent woke up.
      wake: async (id, event, followUp) => {
        await log.append(id, [event]);
        const session = await loadSession(db, id);
        if (session) await options.runner.sendMessage(session, followUp);
      },
    },
    loadSession: (id) => loadSession(db, id),
    publicUrl: options.publicUrl,
    logger: options.logger,
    pollSeconds: options.github.config.pollSeconds,
  });
}
