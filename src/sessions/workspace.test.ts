import { describe, expect, it } from 'vitest';
import { lostConversationInput, repoDir, shortStats } from './workspace.js';

describe('shortStats', () => {
  it("reads git's --shortstat line", () => {
    expect(shortStats(' 3 files changed, 10 insertions(+), 2 deletions(-)\n')).toEqual({
      files: 3,
      additions: 10,
      deletions: 2,
    });
  });

  it('takes the singular forms and counts absent parts as 0', () => {
    expect(shortStats(' 1 file changed, 1 insertion(+)')).toEqual({
      files: 1,
      additions: 1,
      deletions: 0,
    });
    expect(shortStats(' 1 file changed, 4 deletions(-)')).toEqual({
      files: 1,
      additions: 0,
      deletions: 4,
    });
  });

  it('is all 0 for no change (git prints nothing)', () => {
    expect(shortStats('')).toEqual({ files: 0, additions: 0, deletions: 0 });
  });
});

describe('the workspace', () => {
  it("keeps the repo in the sandbox user's home, under its name", () => {
    expect(repoDir({ repoName: 'app' })).toBe('/home/user/app');
  });

  it('tells a new conversation the task when the old one was lost, then the message', () => {
    const input = lostConversationInput('add a README', 'and a license');
    expect(input.startsWith('(The earlier conversation of this session was lost')).toBe(true);
    expect(input).toContain('The task was:\nadd a README)');
    expect(input.endsWith('\n\nand a license')).toBe(true);
  });
});
