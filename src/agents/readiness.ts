import { HangarError } from '../errors.js';
import type { Agent } from './agent.js';

/** Whether this server can run an agent's sessions, and if not, why and what to do. */
export interface AgentStatus {
  name: string;
  usable: boolean;
  /** Why the agent cannot run here, with what to do; absent when it can. */
  reason?: string;
}

/** Each agent's availability on a server with environment `env`, checked once at start. */
export function agentStatuses(
  agents: Iterable<Agent>,
  env: Readonly<Record<string, string | undefined>>,
): AgentStatus[] {
  return [...agents].map((agent) => ({ name: agent.name, ...agent.availability(env) }));
}

/** A session for an agent this server cannot run: refused before anything is stored. */
export class AgentUnavailableError extends HangarError {
  /** `chosenAs` says where the agent came from when the request did not name it. */
  constructor(status: AgentStatus, chosenAs?: string) {
    const who = chosenAs ? `${status.name} (${chosenAs})` : status.name;
    super(
      'agent_not_configured',
      422,
      `${who} cannot run on this server: ${status.reason ?? 'it is not configured'}`,
      { agent: status.name },
    );
  }
}

/** Throws AgentUnavailableError when `statuses` say `agent` cannot run here. */
export function requireUsableAgent(
  statuses: readonly AgentStatus[],
  agent: string,
  chosenAs?: string,
): void {
  const status = statuses.find((s) => s.name === agent);
  if (status && !status.usable) throw new AgentUnavailableError(status, chosenAs);
}
