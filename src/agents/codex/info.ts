import type { AgentInfo } from '../agent.js';

/** OpenAI's Codex CLI as people and the API know it. */
export const CODEX_INFO: AgentInfo = { name: 'codex', label: 'Codex' };
