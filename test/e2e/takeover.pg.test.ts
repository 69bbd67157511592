/**
 * A runner that dies loses nothing: two `hangar serve` processes (each an API node
 * with a runner, each its own data dir: two hosts as far as sandboxes go) on one real
 * PostgreSQL. The runner holding a session mid-turn is killed (SIGKILL) or stopped
 * (SIGSTOP, a zombie); the other takes the session over once the lease runs out,
 * rebuilds its sandbox from what the store keeps, and runs the cut turn again.
 *
 * Needs TEST_DATABASE_URL (scripts/with-postgres; scripts/test's PostgreSQL stage):
 * vitest.config.ts collects *.pg.test.ts only when it is set.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { isolatedEnv } from './hangar.js';
import { commit, makeRepo, Stack, type EventJson } from './stack.js';

const baseUrl = process.env.TEST_DATABASE_URL;
if (!baseUrl)
  throw new Error('test/e2e/takeover.pg.test.ts needs TEST_DATABASE_URL (scripts/with-postgres)');
/** Short, so a takeover happens within seconds; renewed every second. */
const LEASE_SECONDS = '3';

/** A database of its own on the test's PostgreSQL. */
async function freshDatabase(url: string): Promise<string> {
  const name = `takeover_${randomBytes(4).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

/** Every seq once, from 1 with no gap: nothing lost, nothing written twice. */
function expectExactlyOnce(events: EventJson[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

describe('a runner that dies loses nothing (PostgreSQL)', () => {
  let model: ModelServer;
  let first: Stack;
  let second: Stack;

  beforeAll(async () => {
    model = await startModelServer({ script: { replies: [] } });
    const databaseUrl = await freshDatabase(baseUrl);
    const extra = { DATABASE_URL: databaseUrl, HANGAR_LEASE_SECONDS: LEASE_SECONDS };
    // The first node alone at first: the sessions below are claimed by its runner.
    first = await Stack.start(model, extra);
    second = new Stack(model, { ...isolatedEnv(), ...withoutDataDir(first.env), ...extra });
    second.token = first.token;
  }, 120_000);

  afterAll(async () => {
    first.server.child.kill('SIGKILL');
    await second.server.stop();
    await model.close();
  });

  it('moves a session cut mid-turn by kill -9 to the other runner, rebuilt from the store', async () => {
    const task = 'takeover task: add one.txt';
    const repo = makeRepo('takeover', { 'README.md': '# demo\n' });
    commit(repo, 'second');
    model.scriptFor(task, {
      replies: [
        {
          content: [
            bashCall(
              'echo one > one.txt && git add one.txt && git commit -qm one && git push -q origin HEAD && echo scratch > scratch.txt',
            ),
          ],
        },
        say('first turn done'),
        // Twice: the dead runner's held request may take one of them as it is let go.
        { content: [bashCall('ls; git log --oneline -1')] },
        { content: [bashCall('ls; git log --oneline -1')] },
        say('second turn done'),
      ],
    });
    const id = await first.startSession(repo, { replies: [] }, { prompt: task });
    await first.waitForTurns(id, 1);

    // The follow-up's turn waits at the model: the session is running when its runner dies.
    const release = model.hold(task);
    await first.api('POST', `/sessions/${id}/messages`, { text: 'now list the files' });
    await first.waitForStatus(id, ['running']);
    await second.restart();
    first.server.child.kill('SIGKILL');
    release();

    const events = await second.waitForEvents(
      id,
      (all) =>
        all.some((e) => e.type === 'message.assistant' && e.data.text === 'second turn done'),
      180_000,
    );
    expectExactlyOnce(events);
    const cut = events.find((e) => e.type === 'turn.result' && e.data.interrupted);
    expect(cut?.data.error).toMatch(/Moved to runner/);
    const reasons = events.map((e) => e.data.reason ?? '');
    expect(reasons.some((r) => /^Moved to runner .*The cut turn runs again here/.test(r))).toBe(
      true,
    );
    // What was lost: the file left uncommitted at the end of the first turn.
    const rebuilt = reasons.find((r) => r.startsWith('Rebuilt on runner'));
    expect(rebuilt).toMatch(/uncommitted changes to scratch\.txt/);
    // The rebuilt repo is the branch as last pushed: one.txt there, scratch.txt gone.
    const listing = events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(listing).toContain('one.txt');
    expect(listing).not.toContain('scratch.txt');
    expect(listing).toMatch(/ one\n?/);
    await second.waitForStatus(id, ['idle']);

    // And the session goes on there: a follow-up gets its answer.
    model.scriptFor(task, { replies: [say('third turn done')] });
    await second.api('POST', `/sessions/${id}/messages`, { text: 'anything else?' });
    const after = await second.waitForEvents(id, (all) =>
      all.some((e) => e.type === 'message.assistant' && e.data.text === 'third turn done'),
    );
    expectExactlyOnce(after);
  }, 300_000);
});

/** `env` without its data dir and home, so another node gets its own. */
function withoutDataDir(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest.HANGAR_DATA_DIR;
  delete rest.HOME;
  return rest;
}
