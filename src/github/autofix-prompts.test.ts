import { describe, expect, it } from 'vitest';
import { ciFollowUp, conflictFollowUp, reviewFollowUp } from './autofix-prompts.js';

describe("auto-fix's follow-ups", () => {
  it('gives each failing check its summary, annotations and log tail, and says where to push', () => {
    const text = ciFollowUp(
      {
        number: 7,
        sha: 'abcdef1234567',
        checks: [
          {
            name: 'unit',
            conclusion: 'failure',
            summary: '1 failed',
            annotations: ['src/add.ts:2 (failure) expected 4'],
            logTail: 'FAIL add.test.ts',
          },
          {
            name: 'ci/lint',
            conclusion: 'error',
            summary: null,
            annotations: [],
            url: 'https://ci/1',
          },
        ],
      },
      'hangar/fix-1',
    );
    expect(text).toContain('pull request #7 (commit abcdef1)');
    expect(text).toContain(
      '### unit: failure\n\n1 failed\n\nAnnotations:\n- src/add.ts:2 (failure) expected 4',
    );
    expect(text).toContain('```\nFAIL add.test.ts\n```');
    expect(text).toContain('### ci/lint: error\n\nDetails: https://ci/1');
    expect(text).toMatch(/push to the branch hangar\/fix-1\.$/);
  });

  it('quotes each comment with its file:line and diff hunk, or as said on the conversation', () => {
    const text = reviewFollowUp(
      {
        number: 7,
        comments: [
          {
            id: 41,
            author: 'ann',
            body: 'Rename.\nPlease.',
            url: 'u',
            path: 'a.ts',
            line: 3,
            diffHunk: '@@\n+x',
          },
          { author: 'bob', body: 'Why?', url: 'v' },
        ],
      },
      'b',
    );
    expect(text).toContain(
      'ann on a.ts:3 (comment 41):\n```diff\n@@\n+x\n```\n> Rename.\n> Please.',
    );
    expect(text).toContain('bob on the conversation:\n> Why?');
    // Where the answer goes: the review comment's own thread.
    expect(text).toContain('reply_to_review_comment with pull_number 7 and its comment id');
  });

  it('asks for the base to be merged in', () => {
    expect(conflictFollowUp({ number: 7, sha: 's', base: 'main' }, 'b')).toMatch(
      /merge origin\/main into this branch.*push to the branch b/,
    );
  });
});
