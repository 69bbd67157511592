import { runInBackground } from '../background.js';
import type { OutputLimits } from '../config.js';
import { parseDotenv } from '../environments/dotenv.js';
import { OutputBoundError, type OutputBound } from '../sandbox/bounded-output.js';
import type { Sandbox } from '../sandbox/driver.js';
import { loadEnvironment } from '../store/environments.js';
import { LeaseLostError, lastUserMessage, type SessionRowChange } from '../store/events.js';
import {
  appendAgentOutput,
  claimLease,
  loadSession,
  updateSession,
  type Session,
} from '../store/sessions.js';
import { loadSessionFile, saveSessionFile } from '../store/session-files.js';
import { outputBound, type RunnerDeps, type SessionContext } from './context.js';
import type { NewEvent } from './events.js';
import { keepBundleRepo, provision, startSandbox, type Box } from './provision.js';
import type { Source } from './source.js';
import type { ProvisioningStep, SessionStatus } from './status.js';
import { runTurn } from './turn.js';
import {
  AGENT_MOUNT,
  conversationToResume,
  gitInRepo,
  readDiff,
  saveConversation,
} from './workspace.js';

/** How long an interrupted agent has to exit after SIGTERM before its exec is killed. */
const INTERRUPT_GRACE_MS = 5_000;

/** A turn of the agent: running until `done` settles. */
interface Turn {
  abort: AbortController;
  done: Promise<void>;
  /** Set by `interrupt()`: the turn's result is recorded as interrupted. */
  interrupted?: boolean;
}

/** A started sandbox, with the turn running in it and the timer that will stop it. */
interface LiveBox extends Box {
  turn?: Turn;
  hibernateTimer?: NodeJS.Timeout;
}

/**
 * One session this runner works on. It alone owns the session's message queue, its
 * sandbox, its running turn, its hibernate timer and its event chain (every append
 * goes through it, so events keep the order they happened in). The runner keeps one
 * per session, made on first need and let go once nothing is left in flight.
 */
export class LiveSession {
  /** Messages waiting for the next turn (or for the sandbox to be up). */
  readonly queue: string[] = [];
  /** Provisioning or a resume under way: settles when it is over. */
  starting: Promise<void> | undefined;
  /** The started sandbox; a new object on every start, so stale work can tell it is stale. */
  private box: LiveBox | undefined;
  /** The last append queued; undefined once all are done. */
  private tail: Promise<unknown> | undefined;
  /** Hibernating or failing: not let go before that is over. */
  private ending = false;

  constructor(
    readonly id: string,
    private readonly ctx: SessionContext,
    /** Called when nothing is left in flight: the runner may forget this session. */
    private readonly onQuiet: (live: LiveSession) => void,
  ) {}

  /** Its started sandbox, if any. */
  get sandbox(): Sandbox | undefined {
    return this.box?.sandbox;
  }

  /** True while its sandbox is started in this process. */
  get started(): boolean {
    return this.box !== undefined;
  }

  /** True while there is anything the lease must cover: a sandbox, or one starting. */
  get leased(): boolean {
    return this.box !== undefined || this.starting !== undefined;
  }

  /** True while it is being set up, resumed or runs a turn: what a runner's capacity bounds. */
  get active(): boolean {
    return this.starting !== undefined || this.box?.turn !== undefined;
  }

  /**
   * Records events after everything queued before them, fenced by this runner's lease
   * (refused once another runner took the session over); `fenced: false` for what a
   * user did (their message), which is theirs to record whichever runner holds it.
   */
  append(events: NewEvent[], { fenced = true } = {}): Promise<unknown> {
    const holder = fenced ? this.ctx.runnerId : undefined;
    return this.chain(() => this.ctx.deps.log.append(this.id, events, holder));
  }

  /**
   * Another runner holds the session now (this one's lease ran out: it was stopped,
   * or cut off from the store). Its sandbox here is stopped and nothing more is
   * written: the session is the other runner's.
   */
  leaseLost(): void {
    const box = this.box;
    this.box = undefined;
    this.queue.length = 0;
    this.ctx.deps.logger.warn(
      { session: this.id, runner: this.ctx.runnerId },
      'lost the lease of this session to another runner; letting it go',
    );
    if (!box) return;
    clearTimeout(box.hibernateTimer);
    box.turn?.abort.abort();
    this.inBackground('stopping the sandbox of a session taken over', box.sandbox.stop());
    this.inBackground('detaching the gateway of a session taken over', box.attachment.detach());
  }

  /**
   * Continues a session this runner took from one whose lease ran out. The transcript
   * says it moved; a turn that was running is recorded as cut, and then run again here
   * (the user asked for it and is waiting for it), the agent told what happened; an idle
   * session waits hibernated for its next message. A sandbox whose disk is not on this
   * host is rebuilt when the session next starts (see `resume`).
   */
  async takeOver(session: Session, previousOwner: string | null): Promise<void> {
    const { deps, runnerId } = this.ctx;
    const from = previousOwner ?? 'a runner';
    const moved = `Moved to runner ${runnerId}: ${from} stopped renewing its lease (it stopped, or lost its host or its database connection).`;
    if (session.status === 'provisioning') {
      // Nothing of the session is worth keeping yet: it is prepared again from the start.
      await this.append([
        {
          type: 'session.status',
          data: { status: 'provisioning', reason: `${moved} Preparing it again here.` },
        },
      ]);
      await this.forgetSandbox(session);
      const fresh = await loadSession(deps.db, this.id);
      if (fresh) this.track(this.provision(fresh));
      return;
    }
    const cut = session.status === 'running';
    if (cut) {
      await this.append([
        {
          type: 'turn.result',
          data: { isError: true, interrupted: true, error: `The turn was cut: ${moved}` },
        },
      ]);
    }
    await this.stopOldSandbox(session);
    await updateSession(deps.db, this.id, { status: 'hibernated', subStep: null });
    const next = cut ? ' The cut turn runs again here.' : ' Your next message continues it here.';
    await this.append([
      { type: 'session.status', data: { status: 'hibernated', reason: `${moved}${next}` } },
    ]);
    if (!cut) {
      await updateSession(deps.db, this.id, { leaseOwner: null, leaseExpiresAt: null });
      return;
    }
    const again = await lastUserMessage(deps.db, this.id);
    const hibernated = await loadSession(deps.db, this.id);
    if (!hibernated) return;
    this.queue.push(
      `(Hangar: your previous turn was cut off because the machine running this session stopped; the session moved to another machine. Check the repository's state, then carry on with this message.)\n\n${again ?? session.prompt}`,
    );
    // Within this takeover's `starting`: resumed here, not handed to `deliver`.
    await this.resume(hibernated);
  }

  /** The old sandbox, if it is on this host: its processes stopped, its disk kept. */
  private async stopOldSandbox(session: Session): Promise<void> {
    if (!session.sandboxId) return;
    const sandbox = await this.ctx.deps.driver.get(session.sandboxId).catch(() => undefined);
    await sandbox?.stop().catch(() => undefined);
  }

  /** A half-made sandbox is destroyed (if on this host) and the session forgets it. */
  private async forgetSandbox(session: Session): Promise<void> {
    if (session.sandboxId) {
      const sandbox = await this.ctx.deps.driver.get(session.sandboxId).catch(() => undefined);
      await sandbox?.destroy().catch(() => undefined);
    }
    await updateSession(this.ctx.deps.db, this.id, { sandboxId: null, subStep: null });
  }

  /** Settles when every append queued so far is done (rejects if the last failed). */
  drained(): Promise<unknown> {
    return this.tail ?? Promise.resolve();
  }

  /** Provisions or resumes in the background; `starting` until it is over. */
  track(work: Promise<void>): void {
    // Its failures are recorded in the session's log; one that cannot be (the store
    // closing under it) is logged here rather than left unhandled.
    const logged = work.catch((error: unknown) => {
      this.ctx.deps.logger.error({ err: error, session: this.id }, 'session work failed');
    });
    const tracked = logged.finally(() => {
      if (this.starting === tracked) this.starting = undefined;
      this.releaseIfQuiet();
    });
    this.starting = tracked;
  }

  /** A user's message (already recorded): delivered now if the agent waits, else queued. */
  deliver(session: Session, text: string): { queued: boolean } {
    const box = this.box;
    if (box && !box.turn && !this.starting) {
      this.beginTurn(box, text);
      return { queued: false };
    }
    this.queue.push(text);
    // Hibernated, or idle after a restart: start the sandbox again and continue.
    const waiting = session.status === 'queued' || session.status === 'provisioning';
    if (!box && !this.starting && !waiting) this.track(this.resume(session));
    return { queued: true };
  }

  /**
   * Stops the running turn, if any; the session then waits for a message. The agent
   * gets SIGTERM first, which ends its tool processes too (as Esc does in a terminal);
   * if it is still there after a grace period, the exec is killed outright.
   */
  interrupt(): boolean {
    const box = this.box;
    const turn = box?.turn;
    if (!box || !turn) return false;
    this.queue.length = 0;
    turn.interrupted = true;
    const kill = setTimeout(() => turn.abort.abort(), INTERRUPT_GRACE_MS);
    void turn.done.finally(() => clearTimeout(kill));
    box.sandbox
      .exec(['pkill', '-TERM', '-f', `^${AGENT_MOUNT}/`], { user: 'root' })
      .catch(() => turn.abort.abort());
    return true;
  }

  /** Stops the sandbox if no turn runs (archiving). */
  async hibernateIfIdle(): Promise<void> {
    if (this.box && !this.box.turn) await this.hibernate(this.box);
  }

  /** Stops the sandbox (a running turn is interrupted); the session is `hibernated`. */
  async hibernateNow(): Promise<void> {
    if (this.box) await this.hibernate(this.box);
  }

  /**
   * Ends the work here for good, as the session is deleted: provisioning or a resume
   * finishes first, so nothing is left half made. Answers the sandbox, if one was started.
   */
  async close(): Promise<Sandbox | undefined> {
    await this.starting?.catch(() => undefined);
    this.queue.length = 0;
    const box = this.box;
    if (!box) return undefined;
    box.turn?.abort.abort();
    clearTimeout(box.hibernateTimer);
    this.box = undefined;
    await box.turn?.done.catch(() => undefined);
    await box.attachment.detach();
    return box.sandbox;
  }

  // --- provisioning and resuming ---

  /** Sandbox, clone, setup script (see `provision`), then the first turn on the task. */
  async provision(session: Session): Promise<void> {
    try {
      const box = await this.prepare(session, false);
      this.beginTurn(box, session.prompt);
    } catch (error) {
      this.ctx.deps.logger.warn({ err: error, session: session.id }, 'provisioning failed');
      await this.fail(messageOf(error));
    }
  }

  /**
   * A new sandbox made ready (see `provision`); `rebuild`: for a session that had one
   * whose disk is lost, cloning its branch as last pushed.
   */
  private prepare(session: Session, rebuild: boolean): Promise<LiveBox> {
    return provision(
      this.ctx,
      session,
      {
        step: (subStep) => this.setStatus('provisioning', subStep),
        started: (started) => {
          this.box = started;
        },
        setupOutput: (stream, text) => {
          void this.append([{ type: 'setup.output', data: { stream, text } }]);
        },
        drained: () => this.tail,
      },
      { rebuild },
    );
  }

  /** Starts the stopped sandbox again and takes the next queued message. */
  private async resume(session: Session): Promise<void> {
    const { deps, options } = this.ctx;
    try {
      if (!(await claimLease(deps.db, session.id, this.ctx.runnerId, options.leaseMs))) {
        deps.logger.warn({ session: session.id }, 'another runner holds this session');
        this.queue.length = 0;
        return;
      }
      const kept =
        session.sandboxId &&
        (await deps.driver.get(session.sandboxId).then(
          () => true,
          () => false,
        ));
      let box: LiveBox;
      if (kept) {
        const agent = await deps.installAgent(this.ctx.agentOf(session));
        const env = await loadEnvironment(deps.db, session.environmentId);
        box = await startSandbox(deps, session, env, agent.dir, options.outputLimits.repoBytes);
        this.box = box;
      } else {
        box = await this.rebuild(session);
      }
      const next = this.queue.shift();
      if (next === undefined) await this.afterTurn(box);
      else this.beginTurn(box, next);
    } catch (error) {
      await this.fail(`Could not resume: ${messageOf(error)}`);
    }
  }

  /**
   * The session's sandbox is not on this host (its runner's host is gone, or its disk
   * was lost): a new one is made from what the store keeps — a fresh clone of the
   * session's branch as last pushed (or of the Hangar-kept repo), the environment's
   * setup script, and the saved conversation (put back at the next turn). The
   * transcript says so, and what was lost.
   */
  private async rebuild(session: Session): Promise<LiveBox> {
    const { db } = this.ctx.deps;
    const status = (await loadSessionFile(db, session.id, 'git-status'))?.toString('utf8');
    await this.append([
      {
        type: 'session.status',
        data: {
          status: 'provisioning',
          reason: rebuildNotice(this.ctx.runnerId, session, status),
        },
      },
    ]);
    await updateSession(db, session.id, { sandboxId: null });
    return this.prepare({ ...session, sandboxId: null }, true);
  }

  // --- turns ---

  private beginTurn(box: LiveBox, text: string): void {
    clearTimeout(box.hibernateTimer);
    const turn: Turn = { abort: new AbortController(), done: Promise.resolve() };
    turn.done = this.takeTurn(box, turn, text)
      .catch((error: unknown) => this.turnFailed(error))
      .finally(() => {
        if (box.turn === turn) box.turn = undefined;
        this.inBackground('the work after a turn', this.afterTurn(box));
      });
    box.turn = turn;
  }

  /**
   * Records why a turn failed. Never rejects: nothing awaits a turn that ends by itself,
   * and a record that cannot be made is dealt with where it is chained (logged, or the
   * session let go when another runner took it over: a runner woken from a freeze).
   */
  private async turnFailed(error: unknown): Promise<void> {
    const { logger } = this.ctx.deps;
    // Another runner holds the session: nothing more of this turn is written.
    if (error instanceof LeaseLostError) return;
    if (error instanceof OutputBoundError) {
      // The sandbox passed a bound: its session ends here, with the reason; nothing else does.
      logger.warn({ session: this.id, reason: error.message }, 'output bound hit');
      await this.append([
        { type: 'turn.result', data: { isError: true, error: error.message } },
      ]).catch(() => undefined);
      await this.fail(error.message);
      return;
    }
    logger.error({ err: error, session: this.id }, 'turn failed');
    await this.append([{ type: 'turn.result', data: { isError: true } }]).catch(() => undefined);
  }

  private async takeTurn(box: LiveBox, turn: Turn, text: string): Promise<void> {
    const { db, log, dataDir, logger } = this.ctx.deps;
    const session = await loadSession(db, this.id);
    if (!session) return;
    await this.setStatus('running');
    const agent = this.ctx.agentOf(session);
    const { resumeId, input } = await conversationToResume(box.sandbox, session, agent, text, {
      db,
      dataDir,
      logger,
    });
    const env = await loadEnvironment(db, session.environmentId);
    await runTurn({
      agent,
      session,
      sandbox: box.sandbox,
      input,
      resumeId,
      vars: parseDotenv(env.envVars).vars,
      githubRepo: githubRepoOf(this.ctx.deps, session),
      signal: turn.abort.signal,
      interrupted: () => turn.abort.signal.aborted || turn.interrupted === true,
      bounds: {
        turn: this.bound('turnBytes', "the agent's output in one turn"),
        line: this.bound('lineBytes', "a line of the agent's output"),
      },
      record: (parsed, newId) =>
        this.chain(async () => {
          // First the fenced append: a runner that lost the session writes nothing more.
          await log.append(this.id, parsed.events, this.ctx.runnerId);
          await appendAgentOutput(db, this.id, parsed.raw);
          if (newId) await updateSession(db, this.id, { agentSessionId: newId });
        }),
      drained: () => this.drained(),
      endWithout: (result) => this.append([result]),
      logger,
    });
  }

  /** The diff and the conversation are saved; then the next message, or idle until one. */
  private async afterTurn(box: LiveBox): Promise<void> {
    const current = () => this.box === box && !this.ctx.stopping();
    if (!current()) return;
    const { logger } = this.ctx.deps;
    await this.updateDiff(box).catch((error: unknown) => {
      logger.warn({ err: error, session: this.id }, 'diff update failed');
    });
    await this.saveConversation(box).catch(async (error: unknown) => {
      if (error instanceof OutputBoundError) {
        await this.fail(`Could not save the agent's conversation: ${error.message}`);
        return;
      }
      logger.warn({ err: error, session: this.id }, 'could not copy the conversation');
    });
    await this.keepDurable(box).catch((error: unknown) => {
      logger.warn({ err: error, session: this.id }, 'could not keep the session in the store');
    });
    // Hibernated or shutting down meanwhile: that path owns the session's status now.
    if (!current()) return;
    const next = this.queue.shift();
    if (next !== undefined) {
      this.beginTurn(box, next);
      return;
    }
    await this.setStatus('idle');
    // Never what keeps the process alive: a stopping server hibernates sessions itself.
    box.hibernateTimer = setTimeout(() => {
      // A sandbox that will not stop is not left running unowned: the session fails, saying why.
      this.inBackground('hibernating an idle session', this.hibernate(box), (error) =>
        this.fail(`Could not stop the idle sandbox: ${messageOf(error)}`, box),
      );
    }, this.ctx.options.hibernateAfterMs).unref();
  }

  private async updateDiff(box: Box): Promise<void> {
    const { db } = this.ctx.deps;
    const session = await loadSession(db, this.id);
    if (!session?.baseCommit) return;
    const { diff, stats } = await readDiff(
      box.sandbox,
      { ...session, baseCommit: session.baseCommit },
      (what) => this.bound('diffBytes', what),
    );
    // Fenced with its event: a runner that lost the session leaves the new holder's diff be.
    const row = {
      diff,
      diffFiles: stats.files,
      additions: stats.additions,
      deletions: stats.deletions,
    };
    const event: NewEvent = { type: 'diff.updated', data: stats };
    await this.chain(() => this.ctx.deps.log.append(this.id, [event], this.ctx.runnerId, row));
  }

  /**
   * What another runner needs to rebuild the session if this one dies: the Hangar-kept
   * repo of a bundle-sourced session, and the work tree's `git status` (what would be
   * lost with the disk).
   */
  private async keepDurable(box: Box): Promise<void> {
    const { db, dataDir } = this.ctx.deps;
    const session = await loadSession(db, this.id);
    if (!session) return;
    const status = await gitInRepo(
      box.sandbox,
      session,
      ['status', '--porcelain', '--untracked-files=all'],
      { ...this.bound('diffBytes', 'git status'), maxBytes: GIT_STATUS_BYTES },
    );
    if (status.exitCode === 0) {
      const gitStatus = Buffer.from(status.stdout);
      await saveSessionFile(db, this.id, 'git-status', gitStatus, this.ctx.runnerId);
    }
    if ((session.source as Source).type === 'bundle') {
      const { repoBytes } = this.ctx.options.outputLimits;
      await keepBundleRepo(db, dataDir, session, repoBytes, this.ctx.runnerId);
    }
  }

  private async saveConversation(box: Box): Promise<void> {
    const session = await loadSession(this.ctx.deps.db, this.id);
    if (!session) return;
    await saveConversation(
      box.sandbox,
      session,
      this.ctx.agentOf(session),
      { ...this.ctx.deps, holder: this.ctx.runnerId },
      this.bound('conversationBytes', "the agent's conversation file"),
    );
  }

  // --- ending ---

  private async hibernate(box: LiveBox): Promise<void> {
    clearTimeout(box.hibernateTimer);
    if (this.box !== box) return;
    // Off first: the ending turn then starts no other and schedules nothing.
    this.box = undefined;
    this.queue.length = 0;
    this.ending = true;
    try {
      const turn = box.turn;
      turn?.abort.abort();
      // Stopping the sandbox ends every process in it, the agent's tools included, so the
      // turn's exec returns even when a tool process still held its output open.
      await box.sandbox.stop();
      await turn?.done.catch(() => undefined);
      await box.attachment.detach();
      await this.setStatus('hibernated');
      await updateSession(this.ctx.deps.db, this.id, { leaseOwner: null, leaseExpiresAt: null });
    } finally {
      this.ending = false;
      this.releaseIfQuiet();
    }
  }

  /**
   * The session failed for `reason`: its sandbox (`box`, default the current one) is
   * stopped and it takes no more messages.
   */
  async fail(reason: string, box = this.box): Promise<void> {
    if (this.box === box) this.box = undefined;
    this.queue.length = 0;
    this.ending = true;
    try {
      if (box) {
        await box.sandbox.stop().catch(() => undefined);
        await box.attachment.detach().catch(() => undefined);
      }
      // Fenced, the row with its event: a runner that lost the session fails only its
      // own sandbox, never the session another runner now holds. A refused or failed
      // record is dealt with where it is chained (see `chain`).
      const event: NewEvent = { type: 'session.status', data: { status: 'failed', reason } };
      const row: SessionRowChange = {
        status: 'failed',
        subStep: null,
        failureReason: reason,
        leaseOwner: null,
      };
      const failed = await this.chain(() =>
        this.ctx.deps.log.append(this.id, [event], this.ctx.runnerId, row),
      ).then(
        () => true,
        () => false,
      );
      if (failed) this.ctx.kick();
    } finally {
      this.ending = false;
      this.releaseIfQuiet();
    }
  }

  // --- helpers ---

  async setStatus(status: SessionStatus, subStep?: ProvisioningStep): Promise<void> {
    // The event and the row in one fenced statement: a runner that lost the session
    // changes nothing of it, and whoever hears of the event reads the new status.
    const event: NewEvent = {
      type: 'session.status',
      data: { status, ...(subStep ? { subStep } : {}) },
    };
    await this.chain(() =>
      this.ctx.deps.log.append(this.id, [event], this.ctx.runnerId, {
        status,
        subStep: subStep ?? null,
      }),
    );
    // A turn ended: its user's next queued session may start now.
    if (status !== 'provisioning' && status !== 'running') this.ctx.kick();
  }

  /** Runs `work` after everything queued for the session, keeping the log in order. */
  private chain(work: () => Promise<unknown>): Promise<unknown> {
    const next = (this.tail ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tail = next;
    void next
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) {
          this.leaseLost();
          return;
        }
        this.ctx.deps.logger.error(
          { err: error, session: this.id },
          'could not record session events',
        );
      })
      .finally(() => {
        if (this.tail === next) this.tail = undefined;
        this.releaseIfQuiet();
      });
    return next;
  }

  /** Lets `work` run on; a failure is logged with the session and handed to `onFailure`. */
  private inBackground(
    what: string,
    work: Promise<unknown>,
    onFailure?: (error: unknown) => unknown,
  ) {
    runInBackground(what, work, {
      logger: this.ctx.deps.logger,
      context: { session: this.id },
      ...(onFailure ? { onFailure } : {}),
    });
  }

  private releaseIfQuiet(): void {
    const quiet =
      !this.box && !this.starting && !this.tail && !this.ending && this.queue.length === 0;
    if (quiet) this.onQuiet(this);
  }

  private bound(limit: keyof OutputLimits, what: string): OutputBound {
    return outputBound(this.ctx.options.outputLimits, limit, what);
  }
}

/** How much of `git status` is kept after each turn, to say what a lost disk lost. */
const GIT_STATUS_BYTES = 64 * 1024;

/** The transcript's word on a session rebuilt here: where from, and what is gone. */
export function rebuildNotice(runnerId: string, session: Session, gitStatus?: string): string {
  const source = session.source as Source;
  const from =
    source.type === 'bundle'
      ? 'the repository Hangar keeps for it, as last pushed'
      : `a fresh clone of branch ${session.branch ?? source.branch} as last pushed`;
  const files = (gitStatus ?? '')
    .split('\n')
    .map((line) => line.slice(3).trim())
    .filter((name) => name !== '');
  const shown =
    files.slice(0, 20).join(', ') + (files.length > 20 ? ` and ${files.length - 20} more` : '');
  const lost =
    gitStatus === undefined
      ? 'Uncommitted changes and commits not pushed are gone.'
      : files.length > 0
        ? `Lost: uncommitted changes to ${shown} (as of the last finished turn), commits not pushed, and whatever the cut turn changed.`
        : 'Nothing was uncommitted at the end of the last finished turn; commits not pushed and whatever a cut turn changed are gone.';
  return `Rebuilt on runner ${runnerId}: the sandbox's disk is not here (its runner stopped or its disk was lost). Made again from ${from}, the saved conversation and the environment's setup script. ${lost}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `owner/repo` of a session on GitHub, for the agent's GitHub tools. */
function githubRepoOf(deps: RunnerDeps, session: Session): string | undefined {
  const github = deps.github?.(session);
  return github ? `${github.owner}/${github.repo}` : undefined;
}
