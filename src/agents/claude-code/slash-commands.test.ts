import { describe, expect, it } from 'vitest';
import { refusedCommand } from './slash-commands.js';

describe('refusedCommand', () => {
  it('refuses /clear and its aliases, with or without arguments, saying what to do', () => {
    for (const text of ['/clear', '/clear now', '/clear\nand more', '/reset', '/new']) {
      expect(refusedCommand(text), text).toMatch(/start a new session instead/);
    }
    expect(refusedCommand('/reset')).toMatch(/^\/reset would start a new conversation/);
  });

  it('lets through the commands a session supports, and text that only looks like one', () => {
    for (const text of [
      '/compact',
      '/compact keep the test output',
      '/context',
      'please /clear the cache',
      ' /clear',
      '/CLEAR',
      '/clearly wrong',
      '/newer',
      'clear',
    ]) {
      expect(refusedCommand(text), text).toBeUndefined();
    }
  });
});
