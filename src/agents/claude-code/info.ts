import type { AgentInfo } from '../agent.js';

/** Claude Code as people and the API know it. */
export const CLAUDE_CODE_INFO: AgentInfo = { name: 'claude-code', label: 'Claude Code' };
