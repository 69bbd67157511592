import { describe, expect, it } from 'vitest';
import { BLOCK_SIZE, buildTranscript, TranscriptFold, type SessionEvent } from './transcript';

let seq = 0;
function ev(type: string, data: unknown): SessionEvent {
  seq += 1;
  return { seq, type, data, createdAt: new Date(0).toISOString() };
}

describe('buildTranscript', () => {
  it('pairs tool results with their calls and shows a running turn', () => {
    const t = buildTranscript([
      ev('session.status', { status: 'queued' }),
      ev('message.user', { text: 'fix it' }),
      ev('session.status', { status: 'provisioning', subStep: 'clone' }),
      ev('session.status', { status: 'provisioning', subStep: 'setup' }),
      ev('setup.output', { stream: 'stdout', text: 'installing\n' }),
      ev('setup.output', { stream: 'stderr', text: 'warning\n' }),
      ev('tool.call', { id: 't1', name: 'Bash', input: { command: 'ls' } }),
      ev('tool.result', { id: 't1', output: 'a.txt', isError: false }),
    ]);
    expect(t.turnRunning).toBe(true);
    expect(t.items.map((i) => i.kind)).toEqual(['user', 'status', 'setup', 'tool']);
    // Provisioning's sub-steps replace each other on one line.
    expect(t.items[1]).toMatchObject({ status: 'provisioning', subStep: 'setup' });
    expect(t.items[2]).toMatchObject({ text: 'installing\nwarning\n', hasErrors: true });
    expect(t.items[3]).toMatchObject({ name: 'Bash', result: { output: 'a.txt', isError: false } });
  });

  it('queues a message sent during a turn and delivers one per turn', () => {
    const events = [
      ev('message.user', { text: 'first' }),
      ev('message.user', { text: 'second' }),
      ev('message.user', { text: 'third' }),
    ];
    const states = () =>
      buildTranscript(events).items.flatMap((i) => (i.kind === 'user' ? [i.state] : []));
    expect(states()).toEqual(['sent', 'queued', 'queued']);
    events.push(ev('turn.result', { isError: false }));
    expect(states()).toEqual(['sent', 'sent', 'queued']);
    events.push(ev('turn.result', { isError: false }));
    events.push(ev('turn.result', { isError: false }));
    expect(states()).toEqual(['sent', 'sent', 'sent']);
    expect(buildTranscript(events).turnRunning).toBe(false);
  });

  it('drops what was queued when the turn is interrupted', () => {
    const t = buildTranscript([
      ev('message.user', { text: 'first' }),
      ev('message.user', { text: 'second' }),
      ev('turn.result', { isError: true, interrupted: true }),
    ]);
    expect(t.items.flatMap((i) => (i.kind === 'user' ? [i.state] : []))).toEqual([
      'sent',
      'dropped',
    ]);
    expect(t.turnRunning).toBe(false);
  });

  it('ends the turn when the session fails, with the reason', () => {
    const t = buildTranscript([
      ev('message.user', { text: 'go' }),
      ev('session.status', { status: 'failed', reason: 'setup script exited 1' }),
    ]);
    expect(t.turnRunning).toBe(false);
    expect(t.items.at(-1)).toMatchObject({ kind: 'status', reason: 'setup script exited 1' });
  });

  it('says why a queued session waits, but not that it was queued', () => {
    const { items } = buildTranscript([
      ev('session.status', { status: 'queued' }),
      ev('session.status', {
        status: 'queued',
        reason: 'waiting: 3 of 3 concurrent sessions in use',
      }),
    ]);
    expect(items).toEqual([
      {
        kind: 'status',
        seq,
        status: 'queued',
        reason: 'waiting: 3 of 3 concurrent sessions in use',
      },
    ]);
  });

  it('shows the diff only when it changed', () => {
    const diff = (additions: number) => ev('diff.updated', { files: 1, additions, deletions: 0 });
    const none = ev('diff.updated', { files: 0, additions: 0, deletions: 0 });
    const t = buildTranscript([none, diff(2), diff(2), diff(3)]);
    expect(t.items.map((i) => (i.kind === 'diff' ? i.additions : null))).toEqual([2, 3]);
  });

  it("shows each hook's output under its name, and a compaction between turns", () => {
    const before = seq;
    const t = buildTranscript([
      ev('message.user', { text: 'go' }),
      ev('hook.output', { hook: 'SessionStart:startup', text: 'deps installed\n' }),
      ev('turn.result', { isError: false }),
      ev('message.user', { text: '/compact' }),
      ev('hook.output', {
        hook: 'SessionStart:compact',
        text: 'npm: not found\n',
        isError: true,
        exitCode: 127,
      }),
      ev('context.compacted', { trigger: 'manual', preTokens: 12_573, postTokens: 2_565 }),
      ev('turn.result', { isError: false }),
    ]);
    expect(t.items.filter((i) => i.kind === 'hook' || i.kind === 'compaction')).toEqual([
      {
        kind: 'hook',
        seq: before + 2,
        hook: 'SessionStart:startup',
        text: 'deps installed\n',
        isError: false,
      },
      {
        kind: 'hook',
        seq: before + 5,
        hook: 'SessionStart:compact',
        text: 'npm: not found\n',
        isError: true,
        exitCode: 127,
      },
      {
        kind: 'compaction',
        seq: before + 6,
        trigger: 'manual',
        preTokens: 12_573,
        postTokens: 2_565,
      },
    ]);
    expect(t.turnRunning).toBe(false);
  });

  it("says when GitHub stops taking the session's credential, and what to do", () => {
    const message =
      'GitHub no longer accepts the token of octo (revoked or expired): connect again';
    const t = buildTranscript([
      ev('message.user', { text: 'push it' }),
      ev('github.access_failed', { repo: 'acme/app', code: 'github_token_revoked', message }),
    ]);
    expect(t.items.at(-1)).toMatchObject({
      kind: 'access',
      repo: 'acme/app',
      code: 'github_token_revoked',
      message,
    });
  });

  it('shows each auto-fix wake-up before the follow-up it caused, with what GitHub said', () => {
    const t = buildTranscript([
      ev('github.ci', {
        number: 4,
        sha: 'abcdef123',
        checks: [
          {
            name: 'unit',
            conclusion: 'failure',
            summary: '1 failed',
            annotations: ['a.ts:2 (failure) expected 4'],
            logTail: 'FAIL a.test.ts',
          },
        ],
      }),
      ev('message.user', { text: 'CI failed on pull request #4' }),
      ev('github.review', {
        number: 4,
        comments: [{ author: 'ann', body: 'Rename it', url: 'u', path: 'a.ts', line: 3 }],
      }),
      ev('github.conflict', { number: 4, sha: 'abc', base: 'main' }),
    ]);
    expect(t.items.map((i) => i.kind)).toEqual(['github', 'user', 'github', 'github']);
    expect(t.items[0]).toMatchObject({
      trigger: 'ci',
      title: 'CI failed on PR #4 (abcdef1)',
      lines: ['unit: failure — 1 failed', '  a.ts:2 (failure) expected 4'],
      logs: [{ name: 'unit', text: 'FAIL a.test.ts' }],
    });
    expect(t.items[2]).toMatchObject({
      trigger: 'review',
      title: '1 new comment on PR #4',
      lines: ['ann on a.ts:3: Rename it'],
    });
    expect(t.items[3]).toMatchObject({ trigger: 'conflict' });
    expect(t.items[3] && 'title' in t.items[3] ? t.items[3].title : '').toMatch(
      /conflicts with main/,
    );
  });
});

describe('TranscriptFold', () => {
  /** Events 1 … n of a log: turns of a user message, a tool call, its result and the turn's end. */
  function log(n: number): SessionEvent[] {
    const turn = ['message.user', 'tool.call', 'tool.result', 'turn.result'];
    return Array.from({ length: n }, (_, k) => {
      const at = k + 1;
      const data = [
        { text: `task ${at}` },
        { id: `t${at}`, name: 'Bash', input: { command: `ls ${at}` } },
        { id: `t${at - 1}`, output: `out ${at - 1}`, isError: false },
        { isError: false },
      ][k % 4];
      return { seq: at, type: turn[k % 4] ?? '', data, createdAt: new Date(0).toISOString() };
    });
  }
  const fold = (events: SessionEvent[], midway = false) => {
    const f = new TranscriptFold(midway);
    events.forEach((e) => f.add(e));
    return f;
  };

  it('copies only the block an event touches, and keys blocks by their events', () => {
    const f = fold(log(3 * BLOCK_SIZE - 10));
    const before = f.itemBlocks;
    expect(before.map((b) => b.key)).toEqual([0, 1, 2]);
    f.add({
      seq: 3 * BLOCK_SIZE - 9,
      type: 'message.assistant',
      data: { text: 'done' },
      createdAt: new Date(0).toISOString(),
    });
    const after = f.itemBlocks;
    expect(after.slice(0, -1).every((block, b) => block === before[b])).toBe(true);
    expect(after.at(-1)?.items.at(-1)).toMatchObject({ kind: 'assistant', text: 'done' });
  });

  it('starts midway at a later event: the same items from there, and blocks of the same keys', () => {
    const events = log(200);
    const whole = fold(events);
    const cut = 103; // a tool result, whose call is before the cut
    const tail = fold(events.slice(cut - 1), true);
    // The result of a call before the cut shows nothing until its call is loaded.
    const fromCut = whole.itemBlocks.flatMap((b) => b.items).filter((i) => i.seq >= cut);
    expect(tail.itemBlocks.flatMap((b) => b.items)).toEqual(fromCut);
    const keys = whole.itemBlocks.map((b) => b.key);
    expect(tail.itemBlocks.map((b) => b.key)).toEqual(keys.slice(keys.indexOf(2)));
  });

  it('does not know whether a turn runs midway until a message or a turn end says', () => {
    const at = (seq: number, type: string, data: unknown) => ({
      seq,
      type,
      data,
      createdAt: new Date(0).toISOString(),
    });
    const f = fold([at(40, 'message.assistant', { text: 'working on it' })], true);
    expect(f.turnRunning).toBeUndefined();
    f.add(at(41, 'turn.result', { isError: false }));
    expect(f.turnRunning).toBe(false);
    f.add(at(42, 'message.user', { text: 'next' }));
    expect(f.turnRunning).toBe(true);
    expect(new TranscriptFold().turnRunning).toBe(false);
  });
});
