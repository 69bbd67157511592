import { describe, expect, it } from 'vitest';
import { codex } from './agent.js';

const ID = '01a21e35-5389-7670-beaa-bbcc474de194';

describe('codex', () => {
  it('is usable where the server holds an OpenAI key or names its own upstream', () => {
    expect(codex.availability({ OPENAI_API_KEY: 'sk-x' })).toEqual({ usable: true });
    expect(codex.availability({ OPENAI_BASE_URL: 'http://127.0.0.1:8787/v1' })).toEqual({
      usable: true,
    });
    const missing = codex.availability({ ANTHROPIC_API_KEY: 'sk-ant' });
    expect(!missing.usable && missing.reason).toMatch(/set OPENAI_API_KEY/);
    expect(codex.models).toEqual([{ provider: 'openai', keyVar: 'OPENAI_API_KEY' }]);
  });

  it('finds and reads its rollout by id, an argument of a fixed script', () => {
    const exists = codex.conversation.existsCommand(ID, '/opt/hangar-agent');
    expect(exists.slice(0, 2)).toEqual(['sh', '-c']);
    expect(exists[2]).not.toContain(ID);
    expect(exists.at(-1)).toBe(ID);
    expect(codex.conversation.readCommand(ID, '/opt/hangar-agent').at(-1)).toBe(ID);
    expect(codex.conversation.path('/home/user', '/home/user/demo', ID)).toMatch(
      new RegExp(`^/home/user/\\.codex/sessions/\\d{4}/\\d{2}/\\d{2}/rollout-.*-${ID}\\.jsonl$`),
    );
  });
});
