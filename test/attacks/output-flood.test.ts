import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bashCall,
  say,
  startModelServer,
  type ModelServer,
  type Script,
} from '../../fixtures/model-server.js';
import { commit, git, Stack, type EventJson, type SessionJson } from '../e2e/stack.js';

/**
 * Attack: a sandbox floods what the host reads from it — a line with no end on the
 * agent's stdout, endless lines, the conversation file turned into /dev/zero, a setup
 * script that never stops printing, a diff of hundreds of MB, a push larger than the
 * session's repo may grow. Each must end with that session failed (or cut, for the
 * diff; refused, for the push) and a reason naming the limit, while the server's memory
 * stays bounded and another session is still served. The real server, sandboxes and
 * `claude`, with the scripted model server playing the model.
 */

const MB = 1024 * 1024;
/** Generous: the server's peak memory may grow by this much over the whole file. */
const RSS_ALLOWANCE = 300 * MB;

let model: ModelServer;
let stack: Stack;
let repo: string;
let bystander: string;
let baselineRss = 0;

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  repo = makeRepo();
  stack = await Stack.start(model, {
    HANGAR_MAX_OUTPUT_LINE_MB: '4',
    HANGAR_MAX_TURN_OUTPUT_MB: '16',
    HANGAR_MAX_SETUP_OUTPUT_MB: '4',
    HANGAR_MAX_CONVERSATION_MB: '8',
    HANGAR_MAX_DIFF_MB: '1',
    HANGAR_MAX_REPO_MB: '20',
  });
  // A session that idles through every attack and must still answer at the end.
  bystander = await stack.startSession(repo, { replies: [say('Ready.')] });
  await stack.waitForTurns(bystander, 1);
  // From here on VmHWM is the peak since now (proc(5), clear_refs "5").
  writeFileSync(`/proc/${String(stack.server.child.pid)}/clear_refs`, '5');
  baselineRss = memory().rss;
}, 600_000);

afterAll(async () => {
  await stack.server.stop();
  await model.close();
});

function makeRepo(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hangar-flood-')), 'demo');
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), '# demo\n');
  git(dir, 'add', '.');
  commit(dir, 'initial');
  return dir;
}

/** The server process's resident memory now and at its peak (VmRSS, VmHWM), in bytes. */
function memory(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${String(stack.server.child.pid)}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') * 1024, peak: kb('VmHWM') * 1024 };
}

/** Fails at once when the server's memory passes the allowance, rather than eat the host. */
function checkMemory(): void {
  const grown = memory().peak - baselineRss;
  if (grown > RSS_ALLOWANCE) {
    throw new Error(`the server's peak memory grew by ${Math.round(grown / MB)} MB`);
  }
}

/** Waits until the session is in one of `statuses`, watching the server's memory meanwhile. */
async function waitFor(id: string, statuses: string[], timeoutMs = 240_000): Promise<SessionJson> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    checkMemory();
    const session = await stack.session(id);
    if (statuses.includes(session.status)) return session;
    if (Date.now() > deadline) throw new Error(`session ${id} is ${session.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** A session whose agent runs `command` in one Bash call, then says it is done. */
function attack(command: string): Script {
  return { replies: [{ content: [bashCall(command, 'attack')] }, say('Done.')] };
}

async function expectHealthy(): Promise<void> {
  const res = await fetch(`${stack.server.url}/healthz`);
  expect(res.status).toBe(200);
}

/** What the agent's tools printed: why an attack did not do what it meant to. */
async function toolOutput(id: string): Promise<string> {
  return (await stack.events(id))
    .filter((e) => e.type === 'tool.result')
    .map((e) => String(e.data.output))
    .join('\n');
}

function turnError(events: EventJson[]): string | undefined {
  return events.filter((e) => e.type === 'turn.result').at(-1)?.data.error;
}

describe('a sandbox flooding what the host reads', () => {
  it("a 24 MB line of the agent's stream-json output fails that session", async () => {
    // What the agent prints is one line per message; the model's text is one of them.
    const id = await stack.startSession(repo, { replies: [say('x'.repeat(24 * MB))] });
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, await toolOutput(id)).toBe('failed');
    expect(session.failureReason).toMatch(
      /^A line of the agent's output passed its limit of 4 MB, so Hangar stopped reading it/,
    );
    expect(session.failureReason).toContain('HANGAR_MAX_OUTPUT_LINE_MB');
    expect(turnError(await stack.events(id))).toBe(session.failureReason);
    await expectHealthy();
  }, 300_000);

  it('output past the per-turn limit fails that session', async () => {
    // Seven messages of 3 MB: each line is within its limit, the turn's 21 MB is not.
    const chatty = {
      content: [{ type: 'text' as const, text: 'y'.repeat(3 * MB) }, bashCall('true')],
    };
    const id = await stack.startSession(repo, { replies: Array.from({ length: 7 }, () => chatty) });
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, await toolOutput(id)).toBe('failed');
    expect(session.failureReason).toMatch(
      /^The agent's output in one turn passed its limit of 16 MB.*HANGAR_MAX_TURN_OUTPUT_MB/,
    );
    await expectHealthy();
  }, 300_000);

  it('a conversation file linked to /dev/zero fails that session after its turn', async () => {
    const id = await stack.startSession(
      repo,
      attack('for f in "$HOME"/.claude/projects/*/*.jsonl; do ln -sf /dev/zero "$f"; done'),
    );
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, await toolOutput(id)).toBe('failed');
    expect(session.failureReason).toMatch(
      /^Could not save the agent's conversation: The agent's conversation file passed its limit of 8 MB.*HANGAR_MAX_CONVERSATION_MB/,
    );
    await expectHealthy();
  }, 300_000);

  it('a setup script that never stops printing fails that session', async () => {
    const environmentId = await stack.createEnvironment({
      name: 'flooding setup',
      setupScript: 'yes "setup output without end"\n',
    });
    const id = await stack.startSession(repo, { replies: [] }, { environmentId });
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, await toolOutput(id)).toBe('failed');
    expect(session.failureReason).toMatch(
      /^The setup script's output passed its limit of 4 MB.*HANGAR_MAX_SETUP_OUTPUT_MB/,
    );
    const stored = (await stack.events(id))
      .filter((e) => e.type === 'setup.output')
      .reduce((bytes, e) => bytes + String(e.data.text).length, 0);
    expect(stored).toBeLessThanOrEqual(4 * MB);
    await expectHealthy();
  }, 300_000);

  it('a diff of 300 MB is cut at the limit, and the session goes on', async () => {
    const id = await stack.startSession(
      repo,
      attack("head -c 300000000 /dev/zero | tr '\\0' a | fold -w 10000 > /home/user/demo/big.txt"),
    );
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, session.failureReason ?? '').toBe('idle');
    const { json } = await stack.api<{ diff: string; files: number; additions: number }>(
      'GET',
      `/sessions/${id}/diff`,
    );
    expect(json).toMatchObject({ files: 1, additions: 30_000 });
    expect(json.diff).toContain('+++ b/big.txt');
    expect(json.diff.endsWith('… diff truncated\n')).toBe(true);
    expect(Buffer.byteLength(json.diff)).toBeLessThan(MB + 100);
    await expectHealthy();
  }, 300_000);

  it("a push larger than the session's repo may grow is refused, and the disk stays bounded", async () => {
    const id = await stack.startSession(
      repo,
      attack(
        'cd /home/user/demo && head -c 30000000 /dev/urandom > blob.bin && git add blob.bin && ' +
          'git commit -qm big && git push origin HEAD 2>&1; echo "push exit $?"',
      ),
    );
    const session = await waitFor(id, ['failed', 'idle']);
    expect(session.status, session.failureReason ?? '').toBe('idle');
    const output = await toolOutput(id);
    expect(output).toMatch(/pack exceeds maximum allowed size/);
    expect(output).toContain('push exit 1');
    const used = Number(
      execFileSync('du', ['-sb', join(stack.dataDir, 'sessions', id, 'repo.git')], {
        encoding: 'utf8',
      }).split('\t')[0],
    );
    expect(used).toBeLessThan(20 * MB);
    await expectHealthy();
  }, 300_000);

  it('kept another session served and the server within its memory allowance', async () => {
    model.setScript({ replies: [say('Still here.')] });
    const { status } = await stack.api('POST', `/sessions/${bystander}/messages`, {
      text: 'are you there?',
    });
    expect(status).toBe(202);
    const events = await stack.waitForTurns(bystander, 2);
    expect(events.filter((e) => e.type === 'message.assistant').at(-1)?.data.text).toBe(
      'Still here.',
    );
    const { peak } = memory();
    expect(peak - baselineRss).toBeLessThan(RSS_ALLOWANCE);
  }, 300_000);
});
