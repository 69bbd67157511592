import type { LocalAgent } from './agent.js';
import { claudeCodeLocal } from './claude-code/local.js';
import { codexLocal } from './codex/local.js';
import { opencodeLocal } from './opencode/local.js';

const LOCAL_AGENTS: readonly LocalAgent[] = [claudeCodeLocal, codexLocal, opencodeLocal];

/**
 * How to continue agent `name`'s conversation on this machine (teleport). Loads no
 * server code, so the CLI can import it.
 */
export function localAgentFor(name: string): LocalAgent | undefined {
  return LOCAL_AGENTS.find((agent) => agent.name === name);
}
