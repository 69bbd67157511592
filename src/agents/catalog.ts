import type { AgentInfo } from './agent.js';
import { CLAUDE_CODE_INFO } from './claude-code/info.js';
import { CODEX_INFO } from './codex/info.js';
import { OPENCODE_INFO } from './opencode/info.js';

/**
 * The agents a session can run, as plain data: what the API accepts, the store's
 * default and the web app's choices. Importing it loads no agent code.
 */
export const AGENT_INFOS: readonly [AgentInfo, ...AgentInfo[]] = [
  CLAUDE_CODE_INFO,
  CODEX_INFO,
  OPENCODE_INFO,
];

/** The agent a session runs when it names none. */
export const DEFAULT_AGENT_NAME = AGENT_INFOS[0].name;

/** Every agent's name, for a zod enum. */
export const AGENT_NAMES = AGENT_INFOS.map((info) => info.name) as [string, ...string[]];

/** An agent's label by name; the name itself for one this build does not know. */
export function agentLabel(name: string): string {
  return AGENT_INFOS.find((info) => info.name === name)?.label ?? name;
}
