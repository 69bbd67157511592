import { describe, expect, it } from 'vitest';
import { formatEvent } from './sessions.js';

describe('formatEvent', () => {
  it("heads a hook's output with its name, and says when it failed", () => {
    const hook = (data: Record<string, unknown>) =>
      formatEvent({ seq: 1, type: 'hook.output', data, createdAt: '' });
    expect(hook({ hook: 'SessionStart:startup', text: 'deps ready\n', isError: false })).toBe(
      '· SessionStart:startup hook\ndeps ready',
    );
    expect(hook({ hook: 'SessionStart:resume', text: '', isError: true, exitCode: 2 })).toBe(
      '· SessionStart:resume hook failed (exit 2)',
    );
  });

  it('marks a compaction', () => {
    const compacted = (trigger: string) =>
      formatEvent({ seq: 1, type: 'context.compacted', data: { trigger }, createdAt: '' });
    expect(compacted('manual')).toBe('— conversation compacted (manual)');
    expect(compacted('auto')).toBe('— conversation compacted (context full)');
  });
});
