import { runInBackground } from '../background.js';
import type { OutputLimits } from '../config.js';
import { parseDotenv } from '../environments/dotenv.js';
import { OutputBoundError, type OutputBound } from '../sandbox/bounded-output.js';
import type { Sandbox } from '../sandbox/driver.js';
import { loadEnvironment } from '../store/environments.js';
import { appendAgentOutput, loadSession, updateSession, type Session } from '../store/sessions.js';
import { outputBound, type RunnerDeps, type SessionContext } from './context.js';
import type { NewEvent } from './events.js';
import { provision, startSandbox, type Box } from './provision.js';
import type { ProvisioningStep, SessionStatus } from './status.js';
import { runTurn } from './turn.js';
import { AGENT_MOUNT, conversationToResume, readDiff, saveConversation } from './workspace.js';

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

  /** Records events after everything queued before them. */
  append(events: NewEvent[]): Promise<unknown> {
    return this.chain(() => this.ctx.deps.log.append(this.id, events));
  }

  /** Settles when every append queued so far is done (rejects if the last failed). */
  drained(): Promise<unknown> {
    return this.tail ?? Promise.resolve();
  }

  /** Provisions or resumes in the background; `starting` until it is over. */
  track(work: Promise<void>): void {
    const tracked = work.finally(() => {
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
      const box = await provision(this.ctx, session, {
        step: (subStep) => this.setStatus('provisioning', subStep),
        started: (started) => {
          this.box = started;
        },
        setupOutput: (stream, text) => {
          void this.append([{ type: 'setup.output', data: { stream, text } }]);
        },
        drained: () => this.tail,
      });
      this.beginTurn(box, session.prompt);
    } catch (error) {
      this.ctx.deps.logger.warn({ err: error, session: session.id }, 'provisioning failed');
      await this.fail(messageOf(error));
    }
  }

  /** Starts the stopped sandbox again and takes the next queued message. */
  private async resume(session: Session): Promise<void> {
    const { deps, options } = this.ctx;
    try {
      await updateSession(deps.db, session.id, {
        leaseOwner: this.ctx.runnerId,
        leaseExpiresAt: new Date(Date.now() + options.leaseMs),
      });
      const agent = await deps.installAgent(this.ctx.agentOf(session));
      const env = await loadEnvironment(deps.db, session.environmentId);
      const box: LiveBox = await startSandbox(
        deps,
        session,
        env,
        agent.dir,
        options.outputLimits.repoBytes,
      );
      this.box = box;
      const next = this.queue.shift();
      if (next === undefined) await this.afterTurn(box);
      else this.beginTurn(box, next);
    } catch (error) {
      await this.fail(`Could not resume: ${messageOf(error)}`);
    }
  }

  // --- turns ---

  private beginTurn(box: LiveBox, text: string): void {
    clearTimeout(box.hibernateTimer);
    const turn: Turn = { abort: new AbortController(), done: Promise.resolve() };
    turn.done = this.takeTurn(box, turn, text)
      .catch(async (error: unknown) => {
        const { logger } = this.ctx.deps;
        if (error instanceof OutputBoundError) {
          // The sandbox passed a bound: its session ends here, with the reason; nothing else does.
          logger.warn({ session: this.id, reason: error.message }, 'output bound hit');
          await this.append([
            { type: 'turn.result', data: { isError: true, error: error.message } },
          ]);
          await this.fail(error.message);
          return;
        }
        logger.error({ err: error, session: this.id }, 'turn failed');
        await this.append([{ type: 'turn.result', data: { isError: true } }]);
      })
      .finally(() => {
        if (box.turn === turn) box.turn = undefined;
        this.inBackground('the work after a turn', this.afterTurn(box));
      });
    box.turn = turn;
  }

  private async takeTurn(box: LiveBox, turn: Turn, text: string): Promise<void> {
    const { db, log, dataDir, logger } = this.ctx.deps;
    const session = await loadSession(db, this.id);
    if (!session) return;
    await this.setStatus('running');
    const agent = this.ctx.agentOf(session);
    const { resumeId, input } = await conversationToResume(box.sandbox, session, agent, text, {
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
          await appendAgentOutput(db, this.id, parsed.raw);
          if (newId) await updateSession(db, this.id, { agentSessionId: newId });
          await log.append(this.id, parsed.events);
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
    await updateSession(db, this.id, {
      diff,
      diffFiles: stats.files,
      additions: stats.additions,
      deletions: stats.deletions,
    });
    await this.append([{ type: 'diff.updated', data: stats }]);
  }

  private async saveConversation(box: Box): Promise<void> {
    const session = await loadSession(this.ctx.deps.db, this.id);
    if (!session) return;
    await saveConversation(
      box.sandbox,
      session,
      this.ctx.agentOf(session),
      this.ctx.deps.dataDir,
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
      await updateSession(this.ctx.deps.db, this.id, {
        status: 'failed',
        subStep: null,
        failureReason: reason,
        leaseOwner: null,
      });
      await this.append([{ type: 'session.status', data: { status: 'failed', reason } }]);
      this.ctx.kick();
    } finally {
      this.ending = false;
      this.releaseIfQuiet();
    }
  }

  // --- helpers ---

  async setStatus(status: SessionStatus, subStep?: ProvisioningStep): Promise<void> {
    await updateSession(this.ctx.deps.db, this.id, { status, subStep: subStep ?? null });
    await this.append([
      { type: 'session.status', data: { status, ...(subStep ? { subStep } : {}) } },
    ]);
    // A turn ended: its user's next queued session may start now.
    if (status !== 'provisioning' && status !== 'running') this.ctx.kick();
  }

  /** Runs `work` after everything queued for the session, keeping the log in order. */
  private chain(work: () => Promise<unknown>): Promise<unknown> {
    const next = (this.tail ?? Promise.resolve()).catch(() => undefined).then(work);
    this.tail = next;
    void next
      .catch((error: unknown) => {
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `owner/repo` of a session on GitHub, for the agent's GitHub tools. */
function githubRepoOf(deps: RunnerDeps, session: Session): string | undefined {
  const github = deps.github?.(session);
  return github ? `${github.owner}/${github.repo}` : undefined;
}
