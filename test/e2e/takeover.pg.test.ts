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
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { startGitHost } from './git-host.js';
import { isolatedEnv, type Serving } from './hangar.js';
import { commit, git, makeRepo, Stack, type EventJson } from './stack.js';

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

/** Two nodes on a database of their own: `first` started (it claims what is made now), `second` not yet. */
async function twoNodes(
  model: ModelServer,
  serverUrl: string,
): Promise<{ first: Stack; second: Stack }> {
  const databaseUrl = await freshDatabase(serverUrl);
  const extra = { DATABASE_URL: databaseUrl, HANGAR_LEASE_SECONDS: LEASE_SECONDS };
  const first = await Stack.start(model, extra);
  const second = new Stack(model, { ...isolatedEnv(), ...withoutDataDir(first.env), ...extra });
  second.token = first.token;
  return { first, second };
}

describe('a runner that dies loses nothing (PostgreSQL)', () => {
  let model: ModelServer;
  let first: Stack;
  let second: Stack;
  /** Every node started, stopped at the end (a frozen one woken first). */
  const nodes: Stack[] = [];

  beforeAll(async () => {
    model = await startModelServer({ script: { replies: [] } });
    // The first node alone at first: the sessions below are claimed by its runner.
    ({ first, second } = await twoNodes(model, baseUrl));
    nodes.push(first, second);
  }, 120_000);

  afterAll(async () => {
    for (const node of nodes) {
      const server = node.server as Serving | undefined;
      server?.child.kill('SIGCONT');
      await server?.stop();
    }
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

  it('fences off a runner frozen mid-turn (SIGSTOP) that wakes after the takeover', async () => {
    const task = 'zombie task: add two.txt';
    // Its own words: the other test's requests to the model are there too.
    const followUp = 'zombie follow-up: list the files';
    const upstream = await startGitHost(
      makeRepo('zombie', { 'README.md': '# zombie\n' }),
      'zombie',
    );
    onTestFinished(() => upstream.close());
    const pair = await twoNodes(model, baseUrl);
    const [zombie, heir] = [pair.first, pair.second];
    nodes.push(zombie, heir);
    model.scriptFor(task, {
      replies: [
        {
          content: [
            bashCall(
              'echo two > two.txt && git add two.txt && git commit -qm two && git push -q origin HEAD && echo scratch > scratch.txt',
            ),
          ],
        },
        say('first turn done'),
        // The follow-up's request, held while its runner is frozen: the zombie's answer.
        {
          content: [
            { type: 'text', text: ZOMBIE_SAYS },
            bashCall(
              'echo zombie > zombie.txt && git add zombie.txt && git commit -qm zombie && git push -q origin HEAD',
            ),
          ],
        },
        // The cut turn, run again by the heir.
        { content: [bashCall('ls; git log --oneline -1')] },
        say('second turn done'),
      ],
    });
    const created = await zombie.api<{ id: string }>('POST', '/sessions', {
      prompt: task,
      source: { type: 'git', url: upstream.url },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id;
    await zombie.waitForTurns(id, 1);
    const { branch } = await zombie.session(id);

    // The follow-up's turn waits at the model; its runner is frozen there, not killed.
    const release = model.hold(task);
    await zombie.api('POST', `/sessions/${id}/messages`, { text: followUp });
    await waitUntil('the follow-up reaches the model', () =>
      model.agentRequests().some((r) => JSON.stringify(r.body).includes(followUp)),
    );
    await heir.restart();
    zombie.server.child.kill('SIGSTOP');
    // Answered now, while its runner sleeps: the zombie's agent gets the zombie's reply
    // (the heir's requests, made later, would be held too, and take the next ones).
    release();

    const moved = await heir.waitForEvents(
      id,
      (all) =>
        all.some((e) => e.type === 'message.assistant' && e.data.text === 'second turn done'),
      180_000,
    );
    await heir.waitForStatus(id, ['idle']);
    const reasons = moved.map((e) => e.data.reason ?? '');
    const [, heirId, zombieId] =
      reasons.map((r) => /^Moved to runner (\S+): (\S+) stopped/.exec(r)).find(Boolean) ?? [];
    expect(heirId).toBeDefined();
    // Rebuilt from the git host: the branch as last pushed, the uncommitted file named as lost.
    const rebuilt = reasons.find((r) => r.startsWith('Rebuilt on runner'));
    expect(rebuilt).toContain(`a fresh clone of branch ${branch ?? ''} as last pushed`);
    expect(rebuilt).toMatch(/uncommitted changes to scratch\.txt/);
    const listing = moved.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(listing).toContain('two.txt');
    expect(listing).not.toContain('scratch.txt');

    // The zombie wakes with its agent's answer in hand, and tries to go on with the turn.
    zombie.server.child.kill('SIGCONT');
    await waitUntil(
      'the woken runner lets the session go',
      () => saysItLetGo(zombie, id) !== undefined,
    );
    await waitUntil('its sandbox is stopped', () => runningSandboxes(alive(zombie)).length === 0);

    // Nothing of the zombie's reached the session: not its log, its status, its lease or its branch.
    const after = await zombie.events(id);
    expectExactlyOnce(after);
    expect(after.slice(0, moved.length)).toEqual(moved);
    expect(JSON.stringify(after)).not.toContain(ZOMBIE_SAYS);
    expect((await zombie.session(id)).status).toBe('idle');
    expect((await heir.session(id)).status).toBe('idle');
    expect(await leaseOwner(heir, id)).toBe(heirId);
    expect(git(upstream.bare, 'log', '--format=%s', branch ?? '')).not.toMatch(/zombie/);
    expect(saysItLetGo(zombie, id)).toBe(zombieId);

    // A follow-up sent to the woken node is run by the runner that holds the session.
    // Twice: a request the zombie's agent made as it was stopped may take one.
    model.scriptFor(task, { replies: [say('third turn done'), say('third turn done')] });
    const sent = await zombie.api('POST', `/sessions/${id}/messages`, { text: 'anything else?' });
    expect(sent.status).toBe(202);
    const last = await zombie.waitForEvents(id, (all) =>
      all.some((e) => e.type === 'message.assistant' && e.data.text === 'third turn done'),
    );
    expectExactlyOnce(last);
    expect(JSON.stringify(last)).not.toContain(ZOMBIE_SAYS);
    expect(runningSandboxes(zombie)).toEqual([]);
    expect(await leaseOwner(heir, id)).toBe(heirId);
  }, 300_000);

  it('keeps a runner frozen while preparing a session from failing it once another took it over', async () => {
    const task = 'zombie setup task: just answer';
    const upstream = await startGitHost(makeRepo('gated', { 'README.md': '# gated\n' }), 'gated');
    onTestFinished(() => upstream.close());
    const pair = await twoNodes(model, baseUrl);
    const [zombie, heir] = [pair.first, pair.second];
    nodes.push(zombie, heir);
    model.scriptFor(task, { replies: [say('prepared and answered')] });
    // The setup script waits until the test makes a branch `go` on the git host.
    const setupScript =
      'echo waiting\n' +
      "for i in $(seq 1500); do git -c safe.directory='*' -C /home/user/gated ls-remote origin | grep -q refs/heads/go && break; sleep 0.2; done\n";
    const environmentId = await zombie.createEnvironment({ name: 'gated', setupScript });
    const created = await zombie.api<{ id: string }>('POST', '/sessions', {
      prompt: task,
      source: { type: 'git', url: upstream.url },
      environmentId,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id;
    await zombie.waitForEvents(id, (all) =>
      all.some((e) => e.type === 'setup.output' && String(e.data.text).includes('waiting')),
    );

    await heir.restart();
    zombie.server.child.kill('SIGSTOP');
    git(upstream.bare, 'update-ref', 'refs/heads/go', 'refs/heads/main');
    const prepared = await heir.waitForEvents(
      id,
      (all) =>
        all.some((e) => e.type === 'message.assistant' && e.data.text === 'prepared and answered'),
      180_000,
    );
    const reasons = prepared.map((e) => e.data.reason ?? '');
    expect(reasons.some((r) => /^Moved to runner .*Preparing it again here/.test(r))).toBe(true);
    await heir.waitForStatus(id, ['idle']);
    const before = await heir.events(id);

    // Woken, its setup sees `go` (or its sandbox is stopped under it): its provisioning
    // ends there, and is not the session's end.
    zombie.server.child.kill('SIGCONT');
    await waitUntil(
      'the woken runner lets the session go',
      () => saysItLetGo(zombie, id) !== undefined,
    );
    await waitUntil('its provisioning ends', () =>
      alive(zombie).server.output().stdout.includes('"msg":"provisioning failed"'),
    );
    await waitUntil('its sandbox is stopped', () => runningSandboxes(alive(zombie)).length === 0);
    expect(await heir.events(id)).toEqual(before);
    const session = await zombie.session(id);
    expect([session.status, session.failureReason]).toEqual(['idle', null]);
    expect(await leaseOwner(heir, id)).toBe(saysWho(before));
  }, 300_000);
});

/** What the zombie's agent says: the heir's script never does. */
const ZOMBIE_SAYS = 'ZOMBIE: the frozen runner speaks';

/** Polls `check` until it holds (fails after two minutes, naming `what`). */
async function waitUntil(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The sessions' sandboxes started on `node`'s host now: each has a running.json while it
 * runs; those of its warm pool (marked `pooled`) wait for a session and are left out.
 */
function runningSandboxes(node: Stack): string[] {
  const dir = join(node.dataDir, 'sandboxes');
  if (!existsSync(dir)) return [];
  const running = (id: string) => existsSync(join(dir, id, 'running.json'));
  const pooled = (id: string) => existsSync(join(dir, id, 'pooled'));
  return readdirSync(dir).filter((id) => running(id) && !pooled(id));
}

/** `node`, failing the test at once (with what it printed) if its process has exited. */
function alive(node: Stack): Stack {
  const { exitCode, signalCode } = node.server.child;
  if (exitCode === null && signalCode === null) return node;
  const { stderr } = node.server.output();
  throw new Error(`hangar serve exited (${exitCode ?? signalCode}):\n${stderr.slice(-2000)}`);
}

/** The runner that logged it let session `id` go (another runner took it over), if one did. */
function saysItLetGo(node: Stack, id: string): string | undefined {
  for (const line of node.server.output().stdout.split('\n')) {
    if (!line.includes('letting it go')) continue;
    const logged = JSON.parse(line) as { session?: string; runner?: string };
    if (logged.session === id) return logged.runner;
  }
  return undefined;
}

/** The runner a session moved to, as its log says. */
function saysWho(events: EventJson[]): string | undefined {
  const reasons = events.map((e) => e.data.reason ?? '');
  return reasons.map((r) => /^Moved to runner (\S+):/.exec(r)?.[1]).find(Boolean);
}

/** The runner holding session `id`'s lease, as the store has it. */
async function leaseOwner(node: Stack, id: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: node.env.DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ lease_owner: string | null }>(
      'select lease_owner from sessions where id = $1',
      [id],
    );
    return rows[0]?.lease_owner ?? null;
  } finally {
    await client.end();
  }
}

/** `env` without its data dir and home, so another node gets its own. */
function withoutDataDir(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const rest = { ...env };
  delete rest.HANGAR_DATA_DIR;
  delete rest.HOME;
  return rest;
}
