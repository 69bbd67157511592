import { describe, expect, it } from 'vitest';
import { codexConversationPath, codexLocal } from './local.js';

// A UUIDv7: its first 48 bits are 2026-11-27T18:12:21.? UTC in milliseconds.
const ID = '01a21e35-5389-7670-beaa-bbcc474de194';

describe('codexLocal', () => {
  it("writes where Codex finds a rollout: the date of the id's timestamp, in its naming", () => {
    const when = new Date(Number.parseInt('01a21e355389', 16)).toISOString();
    const [date = '', time = ''] = when.slice(0, 19).split('T');
    expect(codexConversationPath('/home/ada', ID)).toBe(
      `/home/ada/.codex/sessions/${date.replaceAll('-', '/')}/rollout-${date}T${time.replaceAll(':', '-')}-${ID}.jsonl`,
    );
    expect(codexLocal.conversationPath('/home/ada', '/src/app', ID)).toBe(
      codexConversationPath('/home/ada', ID),
    );
  });

  it('continues with `codex resume <id>`', () => {
    expect(codexLocal.continueCommand(ID)).toEqual(['codex', 'resume', ID]);
  });
});
