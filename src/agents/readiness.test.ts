import { describe, expect, it } from 'vitest';
import { AGENTS } from './index.js';
import { agentStatuses, AgentUnavailableError, requireUsableAgent } from './readiness.js';

describe('agentStatuses', () => {
  it("lists every agent with its availability on this server's environment", () => {
    const keyless = agentStatuses(AGENTS.values(), {});
    expect(keyless).toEqual([
      {
        name: 'claude-code',
        usable: false,
        reason: expect.stringMatching(/ANTHROPIC_API_KEY/) as unknown,
      },
      { name: 'codex', usable: false, reason: expect.stringMatching(/OPENAI_API_KEY/) as unknown },
      {
        name: 'opencode',
        usable: false,
        reason: expect.stringMatching(/ANTHROPIC_API_KEY .* OPENAI_API_KEY/) as unknown,
      },
    ]);
    expect(agentStatuses(AGENTS.values(), { ANTHROPIC_API_KEY: 'sk-ant-x' })).toEqual([
      { name: 'claude-code', usable: true },
      { name: 'codex', usable: false, reason: expect.stringMatching(/OPENAI_API_KEY/) as unknown },
      { name: 'opencode', usable: true },
    ]);
    expect(agentStatuses(AGENTS.values(), { OPENAI_API_KEY: 'sk-x' })).toEqual([
      { name: 'claude-code', usable: false, reason: expect.any(String) as unknown },
      { name: 'codex', usable: true },
      { name: 'opencode', usable: true },
    ]);
  });
});

describe('requireUsableAgent', () => {
  it('refuses an unusable agent with a 422 naming it and the reason', () => {
    const statuses = agentStatuses(AGENTS.values(), {});
    const refused = (() => {
      try {
        requireUsableAgent(statuses, 'claude-code');
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(AgentUnavailableError);
    expect(refused).toMatchObject({
      code: 'agent_not_configured',
      status: 422,
      message: expect.stringMatching(
        /^claude-code cannot run on this server: Claude Code needs a model key: set ANTHROPIC_API_KEY/,
      ) as unknown,
    });
    const keyed = agentStatuses(AGENTS.values(), { ANTHROPIC_API_KEY: 'k' });
    expect(() => requireUsableAgent(keyed, 'claude-code')).not.toThrow();
  });
});
