import { describe, expect, it } from 'vitest';
import { claudeCode } from './agent.js';

const ID = '0b7c8a52-5b0e-4d0f-9a53-3f3c1d9c2e11';
const MOUNT = '/opt/hangar-agent';

describe('claudeCode', () => {
  it('is usable only where the server holds an Anthropic key, and says which to set', () => {
    expect(claudeCode.availability({ ANTHROPIC_API_KEY: 'sk-ant-x' })).toEqual({ usable: true });
    const missing = claudeCode.availability({ ANTHROPIC_API_KEY: '' });
    expect(missing.usable).toBe(false);
    expect(!missing.usable && missing.reason).toMatch(/set ANTHROPIC_API_KEY/);
    expect(
      claudeCode.availability({ ANTHROPIC_BASE_URL: 'https://api.anthropic.com/' }).usable,
    ).toBe(false);
    // Another upstream (the scripted model server, a proxy with its own key) needs none.
    expect(claudeCode.availability({ ANTHROPIC_BASE_URL: 'http://127.0.0.1:8787' })).toEqual({
      usable: true,
    });
    expect(claudeCode.models).toEqual([{ provider: 'anthropic', keyVar: 'ANTHROPIC_API_KEY' }]);
  });

  it('finds, reads and restores its conversation under ~/.claude/projects', () => {
    const { conversation } = claudeCode;
    // The id is an argument to a fixed script, never part of it.
    expect(conversation.existsCommand(ID, MOUNT)).toEqual([
      'sh',
      '-c',
      'ls "$HOME"/.claude/projects/*/"$1.jsonl"',
      'find',
      ID,
    ]);
    expect(conversation.readCommand(ID, MOUNT).slice(2)).toEqual([
      'cat "$HOME"/.claude/projects/*/"$1.jsonl"',
      'conversation',
      ID,
    ]);
    expect(conversation.path('/home/user', '/home/user/my.repo', ID)).toBe(
      `/home/user/.claude/projects/-home-user-my-repo/${ID}.jsonl`,
    );
  });
});
