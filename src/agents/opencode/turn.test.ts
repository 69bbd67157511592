import { describe, expect, it } from 'vitest';
import { DEFAULT_MODEL, opencodeConfig, opencodeTurn } from './turn.js';

const SES = 'ses_de1c9c446ffei4Uq93hUeyEVzF';
const spec = {
  mount: '/opt/hangar-agent',
  input: 'fix the test',
  systemPrompt: 'You are in Hangar.',
  model: null,
  envFile: '/home/user/.hangar/env',
};

const TOOLS = {
  name: 'hangar-github',
  command: 'node',
  args: ['/opt/hangar-tools/hangar-github.cjs', 'acme/app'],
  env: { HANGAR_GATEWAY_URL: 'http://127.0.0.1:3128', HANGAR_GITHUB_REPO: 'acme/app' },
};

describe('opencodeTurn', () => {
  it('runs opencode run --format json with the gateway as both providers, offline', () => {
    const turn = opencodeTurn({ ...spec, resumeId: null }, 'x64');
    expect(turn.argv).toEqual([
      '/opt/hangar-agent/node_modules/opencode-linux-x64/bin/opencode',
      'run',
      '--format',
      'json',
      '--auto',
      '-m',
      DEFAULT_MODEL,
    ]);
    const config = JSON.parse(turn.env.OPENCODE_CONFIG_CONTENT ?? '') as Record<string, unknown>;
    expect(config).not.toHaveProperty('mcp');
    expect(config).toMatchObject({
      provider: {
        anthropic: { options: { baseURL: '{env:ANTHROPIC_BASE_URL}/v1' } },
        openai: { options: { baseURL: '{env:OPENAI_BASE_URL}', apiKey: '{env:OPENAI_API_KEY}' } },
      },
    });
    expect(turn.env.OPENCODE_DISABLE_MODELS_FETCH).toBe('1');
    // A new conversation starts with Hangar's instructions; a resumed one does not repeat them.
    expect(turn.stdin).toBe('You are in Hangar.\n\nfix the test');
  });

  it("gives Hangar's MCP servers as local servers of its config", () => {
    const turn = opencodeTurn({ ...spec, resumeId: null, mcpServers: [TOOLS] }, 'x64');
    expect(turn.env.OPENCODE_CONFIG_CONTENT).toBe(opencodeConfig([TOOLS]));
    expect(JSON.parse(opencodeConfig([TOOLS]))).toMatchObject({
      mcp: {
        'hangar-github': {
          type: 'local',
          command: ['node', '/opt/hangar-tools/hangar-github.cjs', 'acme/app'],
          environment: { HANGAR_GITHUB_REPO: 'acme/app' },
          timeout: 30_000,
        },
      },
      provider: { openai: { options: { baseURL: '{env:OPENAI_BASE_URL}' } } },
    });
    expect(turn.argv).not.toContain('acme/app');
  });

  it('continues with --session and the chosen model', () => {
    const turn = opencodeTurn({ ...spec, model: 'openai/gpt-5.5', resumeId: SES }, 'x64');
    expect(turn.argv.slice(-4)).toEqual(['-m', 'openai/gpt-5.5', '--session', SES]);
    expect(turn.stdin).toBe('fix the test');
  });
});
