import { describe, expect, it } from 'vitest';
import { claudeCodeLocal } from './local.js';

const ID = '0b7c8a52-5b0e-4d0f-9a53-3f3c1d9c2e11';

describe('claudeCodeLocal', () => {
  it('writes where a local `claude --resume` looks: the repo path, non-alphanumerics as -', () => {
    expect(claudeCodeLocal.conversationPath('/home/ada', '/home/ada/src/my_app', ID)).toBe(
      `/home/ada/.claude/projects/-home-ada-src-my-app/${ID}.jsonl`,
    );
  });

  it('continues with `claude --resume <id>`', () => {
    expect(claudeCodeLocal.continueCommand(ID)).toEqual(['claude', '--resume', ID]);
  });
});
