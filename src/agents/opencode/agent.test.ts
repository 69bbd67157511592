import { describe, expect, it } from 'vitest';
import { opencode } from './agent.js';

const SES = 'ses_de1c9c446ffei4Uq93hUeyEVzF';
const MOUNT = '/opt/hangar-agent';

describe('opencode', () => {
  it('is usable with either provider, and says which keys to set when it has none', () => {
    expect(opencode.availability({ ANTHROPIC_API_KEY: 'sk-ant' })).toEqual({ usable: true });
    expect(opencode.availability({ OPENAI_API_KEY: 'sk-x' })).toEqual({ usable: true });
    const missing = opencode.availability({});
    expect(!missing.usable && missing.reason).toMatch(/ANTHROPIC_API_KEY .* OPENAI_API_KEY/);
  });

  it('saves with opencode export and restores with opencode import, the id an argument', () => {
    const { conversation } = opencode;
    const read = conversation.readCommand(SES, MOUNT);
    expect(read.slice(-3)).toEqual([
      expect.stringContaining(`${MOUNT}/node_modules/opencode-linux-`),
      'export',
      SES,
    ]);
    expect(read[2]).toContain('OPENCODE_DISABLE_MODELS_FETCH=1');
    const file = conversation.path('/home/user', '/home/user/demo', SES);
    expect(conversation.importCommand?.(file, MOUNT).slice(-2)).toEqual(['import', file]);
    expect(conversation.existsCommand(SES, MOUNT).slice(-2)).toEqual(['export', SES]);
  });
});
