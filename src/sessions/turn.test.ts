import { describe, expect, it } from 'vitest';
import type { NewEvent } from './events.js';
import { markInterrupted, systemPrompt } from './turn.js';

describe('markInterrupted', () => {
  it("marks the turn's result and leaves the other events as they are", () => {
    const events: NewEvent[] = [
      { type: 'message.assistant', data: { text: 'stopping' } },
      { type: 'turn.result', data: { isError: false, durationMs: 5 } },
    ];
    expect(markInterrupted(events)).toEqual([
      { type: 'message.assistant', data: { text: 'stopping' } },
      { type: 'turn.result', data: { isError: false, durationMs: 5, interrupted: true } },
    ]);
  });
});

describe('systemPrompt', () => {
  it('names the session branch and how to push it', () => {
    const prompt = systemPrompt({ branch: 'hangar/fix-it-x1' });
    expect(prompt).toContain('Work on the git branch "hangar/fix-it-x1"');
    expect(prompt).toContain('`git push origin HEAD`');
  });
});
