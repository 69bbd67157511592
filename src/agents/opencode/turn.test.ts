import { describe, expect, it } from 'vitest';
import { CONFIG, DEFAULT_MODEL, opencodeTurn } from './turn.js';

const SES = 'ses_de1c9c446ffei4Uq93hUeyEVzF';
const spec = {
  mount: '/opt/hangar-agent',
  input: 'fix the test',
  systemPrompt: 'You are in Hangar.',
  model: null,
  envFile: '/home/user/.hangar/env',
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
    expect(turn.env.OPENCODE_CONFIG_CONTENT).toBe(CONFIG);
    expect(JSON.parse(CONFIG)).toMatchObject({
      provider: {
        anthropic: { options: { baseURL: '{env:ANTHROPIC_BASE_URL}/v1' } },
        openai: { options: { baseURL: '{env:OPENAI_BASE_URL}', apiKey: '{env:OPENAI_API_KEY}' } },
      },
    });
    expect(turn.env.OPENCODE_DISABLE_MODELS_FETCH).toBe('1');
    // A new conversation starts with Hangar's instructions; a resumed one does not repeat them.
    expect(turn.stdin).toBe('You are in Hangar.\n\nfix the test');
  });

  it('continues with --session and the chosen model', () => {
    const turn = opencodeTurn({ ...spec, model: 'openai/gpt-5.5', resumeId: SES }, 'x64');
    expect(turn.argv.slice(-4)).toEqual(['-m', 'openai/gpt-5.5', '--session', SES]);
    expect(turn.stdin).toBe('fix the test');
  });
});
