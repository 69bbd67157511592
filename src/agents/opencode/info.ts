import type { AgentInfo } from '../agent.js';

/** opencode as people and the API know it. */
export const OPENCODE_INFO: AgentInfo = { name: 'opencode', label: 'opencode' };
