import { describe, expect, it } from 'vitest';
import type { Session } from './api/client';
import {
  applyChange,
  emptyList,
  newer,
  type ListChange,
  type SessionListState,
} from './session-list';

function session(id: string, version: number, extra: Partial<Session> = {}): Session {
  return {
    id,
    title: id,
    status: 'idle',
    subStep: null,
    statusDetail: null,
    archived: false,
    agent: 'claude-code',
    agentLabel: 'Claude Code',
    model: null,
    environmentId: 'env_1',
    source: { type: 'git', url: 'https://git.example.com/greeter.git', branch: 'main' },
    repo: 'greeter',
    branch: null,
    baseCommit: null,
    agentSessionId: null,
    failureReason: null,
    diffStats: { files: 0, additions: 0, deletions: 0 },
    pullRequest: null,
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    version,
    visibility: 'private',
    hideOwner: false,
    owner: { id: 'usr_1', name: 'admin' },
    readOnly: false,
    ...extra,
  };
}

function play(...changes: ListChange[]): SessionListState {
  return changes.reduce(applyChange, emptyList);
}

const diffed = { files: 2, additions: 3, deletions: 1 };

describe('the live session list', () => {
  it('keeps a frame that arrived before an older list (the list was read before the change)', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'session', session: session('a', 7, { diffStats: diffed }) },
      { type: 'listed', connection: 1, sessions: [session('a', 6), session('b', 2)] },
    );
    expect(state.byId.get('a')?.diffStats).toEqual(diffed);
    expect([...state.byId.keys()].sort()).toEqual(['a', 'b']);
  });

  it('takes a list newer than the frames it holds', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'session', session: session('a', 3, { status: 'running' }) },
      { type: 'listed', connection: 1, sessions: [session('a', 5, { status: 'idle' })] },
    );
    expect(state.byId.get('a')?.status).toBe('idle');
  });

  it('never goes back to an older frame', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'listed', connection: 1, sessions: [session('a', 5, { archived: true })] },
      { type: 'session', session: session('a', 4) },
    );
    expect(state.byId.get('a')?.archived).toBe(true);
  });

  it('keeps a session created after the list was read, and drops one deleted while no feed listened', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'listed', connection: 1, sessions: [session('old', 1)] },
      // The feed drops; meanwhile `old` is deleted. On the new connection a session is
      // created before the refetched list, read earlier, arrives.
      { type: 'opened', connection: 2 },
      { type: 'session', session: session('new', 1) },
      { type: 'listed', connection: 2, sessions: [] },
    );
    expect([...state.byId.keys()]).toEqual(['new']);
  });

  it('does not bring back a session deleted after the list was read', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'deleted', id: 'a' },
      { type: 'listed', connection: 1, sessions: [session('a', 9), session('b', 1)] },
      { type: 'session', session: session('a', 10) },
    );
    expect([...state.byId.keys()]).toEqual(['b']);
  });

  it('lets a late list of an earlier connection add and update, but not remove', () => {
    const state = play(
      { type: 'opened', connection: 1 },
      { type: 'opened', connection: 2 },
      { type: 'session', session: session('a', 2) },
      { type: 'listed', connection: 1, sessions: [session('a', 1), session('b', 4)] },
    );
    expect(state.byId.get('a')?.version).toBe(2);
    expect(state.byId.get('b')?.version).toBe(4);
    const later = applyChange(state, {
      type: 'listed',
      connection: 2,
      sessions: [session('a', 2)],
    });
    expect([...later.byId.keys()]).toEqual(['a']);
  });

  it('picks the newer of two copies, the first on a tie', () => {
    const one = session('a', 1);
    const two = session('a', 2);
    expect(newer(one, two)).toBe(two);
    expect(newer(two, one)).toBe(two);
    expect(newer(undefined, one)).toBe(one);
    expect(newer(one, undefined)).toBe(one);
    const tie = session('a', 1);
    expect(newer(one, tie)).toBe(one);
  });
});
