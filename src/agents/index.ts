import { HangarError } from '../errors.js';
import type { Agent } from './agent.js';
import { claudeCode } from './claude-code/agent.js';
import { codex } from './codex/agent.js';
import { opencode } from './opencode/agent.js';

/** Every agent this server can run, by name (see `catalog.ts` for their names alone). */
export const AGENTS: ReadonlyMap<string, Agent> = new Map(
  [claudeCode, codex, opencode].map((a) => [a.name, a]),
);

/** A session names an agent this server does not have. */
export class UnknownAgentError extends HangarError {
  constructor(name: string) {
    super(
      'unknown_agent',
      400,
      `This server has no agent "${name}"; it runs ${[...AGENTS.keys()].join(', ')}.`,
    );
  }
}

/** The agent named `name`; a session that names another cannot run here. */
export function agentFor(name: string): Agent {
  const agent = AGENTS.get(name);
  if (!agent) throw new UnknownAgentError(name);
  return agent;
}

/** A message the session's agent cannot take; `field` is the request's field it came in. */
export class RefusedMessageError extends HangarError {
  constructor(field: string, reason: string) {
    super('message_refused', 400, `${field}: ${reason}`, { field });
  }
}

/** Throws RefusedMessageError when `agent` cannot take `text` as a message of a session. */
export function checkMessage(agent: Agent, text: string, field: string): void {
  const reason = agent.refuseMessage(text);
  if (reason !== undefined) throw new RefusedMessageError(field, reason);
}
