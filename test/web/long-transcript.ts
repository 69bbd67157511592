import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import type { TestApp } from '../../src/server/test-app.js';
import type { NewEvent } from '../../src/sessions/events.js';

/**
 * Long transcripts for the browser: a session of the in-process app (its runner has no
 * agent, so it fails at once and stays put), then events appended to its log as an
 * agent's turns would add them.
 */

/** A settled session of `t`'s admin, on a one-commit bundle; its id. */
export async function settledSession(t: TestApp, title: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'hangar-transcript-'));
  const bundle = oneCommitBundle(dir);
  rmSync(dir, { recursive: true, force: true });
  const uploaded = await t.request('POST', '/api/v1/bundles', {
    raw: bundle,
    contentType: 'application/octet-stream',
  });
  if (uploaded.status !== 201) throw new Error(`POST /bundles: ${await uploaded.text()}`);
  const { id: bundleId } = (await uploaded.json()) as { id: string };
  const created = await t.request('POST', '/api/v1/sessions', {
    body: { prompt: title, title, source: { type: 'bundle', bundleId } },
  });
  if (created.status !== 201) throw new Error(`POST /sessions: ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  const abort = new AbortController();
  for await (const event of t.log.follow(id, 0, abort.signal)) {
    if (event.type === 'session.status' && (event.data as { status?: string }).status === 'failed')
      break;
  }
  abort.abort();
  return id;
}

/**
 * Event `i` of a busy agent's turns: a user message every 50 events, then tool calls
 * and their results, markdown replies, and the turn's result.
 */
export function turnEvent(i: number): NewEvent {
  const step = i % 50;
  if (step === 0) return { type: 'message.user', data: { text: `Task ${i}: fix the next test` } };
  if (step === 49)
    return { type: 'turn.result', data: { isError: false, durationMs: 1200, costUsd: 0.01 } };
  switch (step % 3) {
    case 0:
      return {
        type: 'message.assistant',
        data: { text: `Reply ${i}: the **test** in \`auth.spec.ts\` passes now.\n\n- one\n- two` },
      };
    case 1:
      return {
        type: 'tool.call',
        data: { id: `tool-${i}`, name: 'Bash', input: { command: `npm test -- --grep ${i}` } },
      };
    default:
      return {
        type: 'tool.result',
        data: { id: `tool-${i - 1}`, output: `ok ${i - 1}\n1 passing`, isError: false },
      };
  }
}

/** Appends events `from` … `from + count - 1` to a session's log, in batches. */
export async function appendTurns(
  t: TestApp,
  sessionId: string,
  from: number,
  count: number,
): Promise<void> {
  for (let at = from; at < from + count; at += 500) {
    const size = Math.min(500, from + count - at);
    await t.log.append(
      sessionId,
      Array.from({ length: size }, (_, k) => turnEvent(at + k)),
    );
  }
}
