import { describe, expect, it } from 'vitest';
import { AGENT_INFOS, DEFAULT_AGENT_NAME } from './catalog.js';
import { AGENTS, agentFor, UnknownAgentError } from './index.js';
import { localAgentFor } from './local.js';

describe('the agent registry', () => {
  it('has every agent of the catalog, for the server and for teleport alike', () => {
    expect([...AGENTS.keys()]).toEqual(AGENT_INFOS.map((info) => info.name));
    for (const info of AGENT_INFOS) {
      expect(agentFor(info.name).label).toBe(info.label);
      expect(localAgentFor(info.name)?.label).toBe(info.label);
    }
    expect(AGENTS.has(DEFAULT_AGENT_NAME)).toBe(true);
  });

  it('refuses a name it does not know, saying which it runs', () => {
    expect(() => agentFor('aider')).toThrow(UnknownAgentError);
    expect(() => agentFor('aider')).toThrow(
      /no agent "aider"; it runs claude-code, codex, opencode/,
    );
    expect(localAgentFor('aider')).toBeUndefined();
  });
});
