import { describe, expect, it } from 'vitest';
import { pullRequestState, summarizeChecks } from './pr-status.js';

describe('pullRequestState', () => {
  it('tells draft, merged and closed apart', () => {
    expect(pullRequestState({ state: 'open', draft: false })).toBe('open');
    expect(pullRequestState({ state: 'open', draft: true })).toBe('draft');
    expect(pullRequestState({ state: 'closed', merged: true })).toBe('merged');
    expect(pullRequestState({ state: 'closed', merged_at: '2026-11-27T10:00:00Z' })).toBe('merged');
    expect(pullRequestState({ state: 'closed', merged: false, merged_at: null })).toBe('closed');
  });
});

describe('summarizeChecks', () => {
  it('is pending while nothing has reported', () => {
    expect(summarizeChecks([], [])).toEqual({ state: 'pending', passed: 0, failed: 0, pending: 0 });
  });

  it('fails when any check run or status failed, whatever else is pending', () => {
    expect(
      summarizeChecks(
        [
          { status: 'completed', conclusion: 'failure' },
          { status: 'in_progress', conclusion: null },
          { status: 'completed', conclusion: 'success' },
        ],
        [{ state: 'success' }],
      ),
    ).toEqual({ state: 'failure', passed: 2, failed: 1, pending: 1 });
    expect(summarizeChecks([], [{ state: 'error' }]).state).toBe('failure');
    expect(summarizeChecks([{ status: 'completed', conclusion: 'timed_out' }], []).state).toBe(
      'failure',
    );
  });

  it('waits for unfinished ones, and passes when all passed (neutral and skipped count as passing)', () => {
    expect(
      summarizeChecks([{ status: 'queued', conclusion: null }], [{ state: 'success' }]).state,
    ).toBe('pending');
    expect(summarizeChecks([], [{ state: 'pending' }]).state).toBe('pending');
    expect(
      summarizeChecks(
        [
          { status: 'completed', conclusion: 'success' },
          { status: 'completed', conclusion: 'skipped' },
        ],
        [{ state: 'success' }],
      ),
    ).toEqual({ state: 'success', passed: 3, failed: 0, pending: 0 });
  });
});
