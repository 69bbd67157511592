import type { Logger } from 'pino';
import { runInBackground } from '../background.js';
import { HangarError } from '../errors.js';
import type { PgListener } from '../store/listener.js';
import { notify } from '../store/listener.js';
import {
  finishCommand,
  openCommands,
  pruneCommands,
  takeCommand,
  type CommandError,
  type SessionCommandRow,
} from '../store/session-commands.js';
import { loadSession } from '../store/sessions.js';
import type { Db } from '../store/store.js';
import { COMMANDS_CHANNEL, type CommandKind } from './commands.js';
import type { Runner } from './runner.js';

/**
 * How long a command for a session nobody holds waits for the runner that has the
 * session's sandbox on its disk (it takes such a command at once) before any runner
 * with room takes it.
 */
const UNHELD_GRACE_MS = 3_000;

/** How often open commands are looked for when no notification came. */
const POLL_MS = 2_000;

/**
 * Runs, on this process's runner, the commands API nodes elsewhere sent for sessions it
 * holds (or that nobody holds), and stores each one's answer. Woken by NOTIFY; polls
 * too, so a missed notification delays a command by a poll at most.
 */
export class CommandWorker {
  private timer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();
  private readonly unlisten: (() => void)[] = [];
  private prunedAt = 0;

  constructor(
    private readonly db: Db,
    private readonly runner: Runner,
    private readonly listener: PgListener,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.unlisten.push(
      this.listener.on(COMMANDS_CHANNEL, (payload) => {
        // A queued session: the runner looks for it now rather than at its next poll.
        if (payload.includes('"kick"')) this.runner.kick();
        else if (!payload.includes('"done"')) this.look();
      }),
      this.listener.onReconnect(() => {
        this.runner.kick();
        this.look();
      }),
    );
    this.look();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const stop of this.unlisten) stop();
    await this.looking;
    await Promise.allSettled(this.running);
  }

  /** Looks for open commands now (once more when a look is under way). */
  private look(): void {
    if (this.stopped) return;
    if (this.looking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.looking = this.takeOpen()
      .catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not look for session commands');
      })
      .finally(() => {
        this.looking = undefined;
        if (this.stopped) return;
        const wait = this.again ? 0 : POLL_MS;
        this.again = false;
        this.timer = setTimeout(() => this.look(), wait);
      });
  }

  private async takeOpen(): Promise<void> {
    if (Date.now() - this.prunedAt > 10 * 60_000) {
      this.prunedAt = Date.now();
      await pruneCommands(this.db);
    }
    for (const command of await openCommands(this.db, this.runner.id)) {
      if (!(await this.mine(command))) continue;
      if (!(await takeCommand(this.db, command.id, this.runner.id))) continue;
      const run = this.execute(command).finally(() => this.running.delete(run));
      this.running.add(run);
    }
  }

  /** Whether to take `command` now: meant for this runner, or unheld and best run here. */
  private async mine(command: SessionCommandRow): Promise<boolean> {
    if (command.runnerId === this.runner.id) return true;
    const session = await loadSession(this.db, command.sessionId);
    if (!session) return true;
    if (await this.runner.hasSandbox(session)) return true;
    const waited = Date.now() - command.createdAt.getTime() > UNHELD_GRACE_MS;
    return waited && this.runner.hasRoom();
  }

  private async execute(command: SessionCommandRow): Promise<void> {
    let outcome: { result: unknown } | { error: CommandError };
    try {
      outcome = { result: await this.run(command) };
    } catch (error) {
      outcome = { error: commandError(error) };
      if (!(error instanceof HangarError)) {
        this.logger.error({ err: error, session: command.sessionId }, 'a session command failed');
      }
    }
    await finishCommand(this.db, command.id, outcome);
    runInBackground(
      'answering a session command',
      notify(this.db, COMMANDS_CHANNEL, JSON.stringify({ done: command.id })),
      { logger: this.logger },
    );
  }

  private async run(command: SessionCommandRow): Promise<unknown> {
    const session = await loadSession(this.db, command.sessionId);
    const kind = command.kind as CommandKind;
    if (!session) {
      if (kind === 'delete') return null;
      throw new HangarError('not_found', 404, `No session ${command.sessionId}.`);
    }
    const args = command.args;
    switch (kind) {
      case 'message':
        return this.runner.sendMessage(session, String(args.text));
      case 'interrupt':
        return this.runner.interrupt(session.id);
      case 'archive':
        await this.runner.archive(session);
        return null;
      case 'delete':
        await this.runner.delete(session);
        return null;
      case 'git':
        return (await this.runner.gitInSession(session.id, args.args as string[])) ?? null;
    }
  }
}

function commandError(error: unknown): CommandError {
  if (error instanceof HangarError) {
    return { code: error.code, status: error.status, message: error.message };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'runner_failed', status: 503, message: `The runner failed: ${message}` };
}
