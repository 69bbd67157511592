import type { Logger } from 'pino';
import type { Agent, McpServerSpec, ParsedLine } from '../agents/agent.js';
import { BoundedRead, type OutputBound } from '../sandbox/bounded-output.js';
import type { Sandbox } from '../sandbox/driver.js';
import type { Session } from '../store/sessions.js';
import type { NewEvent } from './events.js';
import { OutputBatcher } from './streams.js';
import { sandboxEnv } from '../gateway/sandbox-env.js';
import {
  AGENT_MOUNT,
  ENV_FILE,
  execEnv,
  GITHUB_TOOLS_FILE,
  repoDir,
  TOOLS_MOUNT,
} from './workspace.js';

/** One agent turn, as the live session hands it over. */
export interface TurnRun {
  agent: Agent;
  session: Session;
  sandbox: Sandbox;
  /** The user's message (or, after a lost conversation, the task and the message). */
  input: string;
  resumeId: string | null;
  vars: Record<string, string>;
  /** The session's repo on GitHub (`owner/repo`): the agent gets Hangar's GitHub tools for it. */
  githubRepo?: string | undefined;
  signal: AbortSignal;
  /** True once the turn is interrupted (by the user or by stopping). */
  interrupted: () => boolean;
  bounds: { turn: OutputBound; line: OutputBound };
  /**
   * Records one mapped line (its raw form, a new conversation id, its events) after
   * everything before it; the output waits for it, so a flood of lines cannot queue up.
   */
  record(line: ParsedLine, newAgentSessionId: string | undefined): Promise<unknown>;
  /** Settles when every recorded line is stored. */
  drained(): Promise<unknown>;
  /** Records the turn's end when the agent gave none. */
  endWithout(result: NewEvent): Promise<unknown>;
  logger: Logger;
}

/**
 * Runs the agent for one message in the session's repo and maps its output lines to
 * events as they come. An agent that exits without a result line gets one recorded,
 * with the last lines of its stderr as the reason.
 */
export async function runTurn(run: TurnRun): Promise<void> {
  const { agent, session, sandbox, interrupted } = run;
  const turn = agent.turn({
    mount: AGENT_MOUNT,
    input: run.input,
    systemPrompt: systemPrompt(session),
    resumeId: run.resumeId,
    model: session.model,
    envFile: ENV_FILE,
    ...(run.githubRepo ? { mcpServers: [githubTools(run.githubRepo, sandbox)] } : {}),
  });
  const seen = { result: false };
  let agentSessionId = run.resumeId;
  const read = new BoundedRead({ signal: run.signal });
  const budget = read.budget(run.bounds.turn);
  const parse = agent.turnReader?.() ?? ((line: string) => agent.parseLine(line));
  const lines = read.lines(budget, run.bounds.line, (line) => {
    if (line.trim() === '') return;
    const parsed = parse(line);
    if (parsed.endsTurn) seen.result = true;
    const events =
      parsed.endsTurn && interrupted() ? markInterrupted(parsed.events) : parsed.events;
    const newId =
      parsed.agentSessionId && parsed.agentSessionId !== agentSessionId
        ? parsed.agentSessionId
        : undefined;
    if (newId) agentSessionId = newId;
    return run.record({ ...parsed, events }, newId);
  });
  const stderr = new OutputBatcher(() => undefined);
  const result = await sandbox.exec(turn.argv, {
    cwd: repoDir(session),
    stdin: turn.stdin,
    stdout: lines,
    stderr: read.writer(budget, (chunk) => stderr.add(chunk.toString('utf8'))),
    env: { ...execEnv(sandbox, run.vars), ...turn.env },
    signal: read.signal,
  });
  lines.flushRest();
  await run.drained();
  read.finish();
  if (seen.result) return;
  const reason = interrupted() ? undefined : stderr.lastLines().slice(-3).join(' | ');
  run.logger.warn(
    { session: session.id, exitCode: result.exitCode, reason },
    'agent ended without a result',
  );
  const error = reason ? `The agent exited with code ${result.exitCode}: ${reason}` : undefined;
  await run.endWithout({
    type: 'turn.result',
    data: { isError: true, interrupted: interrupted(), ...(error ? { error } : {}) },
  });
}

/** The turn's result, said to be interrupted. */
export function markInterrupted(events: NewEvent[]): NewEvent[] {
  return events.map((e) =>
    e.type === 'turn.result' ? { ...e, data: { ...e.data, interrupted: true } } : e,
  );
}

/** Hangar's instructions to the agent, appended to its own system prompt. */
export function systemPrompt(session: Pick<Session, 'branch'>): string {
  return [
    'You are running in a Hangar cloud session: an isolated sandbox with a fresh clone of the repository.',
    `Work on the git branch "${session.branch ?? ''}" (already checked out).`,
    'When you have finished a change, commit it with a clear message and push it with `git push origin HEAD`.',
    'Pushes to any other branch are refused.',
  ].join(' ');
}

/** Hangar's GitHub tools: the bundled MCP server, run by the sandbox's `node`. */
export function githubTools(fullName: string, sandbox: Pick<Sandbox, 'gateway'>): McpServerSpec {
  const { HANGAR_GATEWAY_URL = '' } = sandboxEnv(sandbox.gateway ?? '127.0.0.1:9');
  return {
    name: 'hangar-github',
    command: 'node',
    args: [`${TOOLS_MOUNT}/${GITHUB_TOOLS_FILE}`, fullName],
    env: { HANGAR_GATEWAY_URL, HANGAR_GITHUB_REPO: fullName },
  };
}
