import { describe, expect, it } from 'vitest';
import { opencodeLocal } from './local.js';

const SES = 'ses_de1c9c446ffei4Uq93hUeyEVzF';

describe('opencodeLocal', () => {
  it('writes the exported conversation for `opencode import`, then continues the session', () => {
    const file = opencodeLocal.conversationPath('/home/ada', '/src/app', SES);
    expect(file).toBe(`/home/ada/.local/share/opencode/hangar/${SES}.json`);
    expect(opencodeLocal.importCommand?.(file)).toEqual(['opencode', 'import', file]);
    expect(opencodeLocal.continueCommand(SES)).toEqual(['opencode', '--session', SES]);
  });
});
