/**
 * bench/setup-cache: time from a session's `queued` to `running` (the server's own event
 * times) for an environment whose setup script takes SETUP seconds (default 30): its first
 * session (runs setup, keeps the cache) and its second (starts from the cache), next to a
 * session of an environment with no setup script, all in the same run, ROUNDS times (the
 * cache cleared before each round), after one uncounted session that warms the server. Goal: the second ≤ 2 s beyond no setup.
 *
 *   npm run build && npx tsx bench/setup-cache.ts [rounds] [setup seconds]   (as root)
 */
import { startModelServer } from '../fixtures/model-server.js';
import { makeRepo, Stack } from '../test/e2e/stack.js';

const ROUNDS = Number(process.argv[2] ?? 3);
const SETUP_SECONDS = Number(process.argv[3] ?? 30);

interface TimedEvent {
  type: string;
  createdAt?: string;
  data: { status?: string; text?: string; reason?: string };
}

const model = await startModelServer({ script: { replies: [] } });
const stack = await Stack.start(model);
const repo = makeRepo('bench', { 'README.md': '# bench\n' });

/** Starts a session in `envId`, waits for its first turn, answers queued → running in ms. */
async function timeToRunning(envId: string): Promise<{ ms: number; setup: string }> {
  const id = await stack.startSession(repo, { replies: [] }, { environmentId: envId });
  await stack.waitForTurns(id, 1);
  const { json } = await stack.api<{ events: TimedEvent[] }>(
    'GET',
    `/sessions/${id}/events?after=0&limit=1000`,
  );
  const at = (status: string) =>
    Date.parse(
      json.events.find((e) => e.type === 'session.status' && e.data.status === status)?.createdAt ??
        '',
    );
  const setup = json.events
    .filter((e) => e.type === 'setup.output')
    .map((e) => e.data.text ?? '')
    .join('')
    .trim();
  return { ms: at('running') - at('queued'), setup };
}

try {
  const plain = await stack.createEnvironment({ name: 'no setup' });
  // A setup that takes its time and leaves files behind, as an install would.
  const slow = await stack.createEnvironment({
    name: 'slow setup',
    setupScript: `sleep ${SETUP_SECONDS}\nmkdir -p /opt/tool && seq 1 100000 > /opt/tool/data\necho installed\n`,
  });
  // The server's first sandbox pays for its base and the warm pool: not counted.
  await timeToRunning(plain);
  const rows: { none: number; first: number; second: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    await stack.api('DELETE', `/environments/${slow}/setup-cache`);
    const none = await timeToRunning(plain);
    const first = await timeToRunning(slow);
    const second = await timeToRunning(slow);
    if (first.setup !== 'installed' || !second.setup.startsWith('setup: from cache')) {
      throw new Error(`unexpected setup output: ${first.setup} / ${second.setup}`);
    }
    rows.push({ none: none.ms, first: first.ms, second: second.ms });
    console.log(
      `round ${round + 1}: no setup ${none.ms} ms, first ${first.ms} ms, second ${second.ms} ms`,
    );
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const none = median(rows.map((r) => r.none));
  const first = median(rows.map((r) => r.first));
  const second = median(rows.map((r) => r.second));
  console.log(
    `\nmedian of ${ROUNDS}: no setup ${none} ms, first ${first} ms (setup ${SETUP_SECONDS} s), second ${second} ms`,
  );
  console.log(`second / first: ${(second / first).toFixed(3)}`);
  console.log(`second / no setup: ${(second / none).toFixed(2)}x (+${second - none} ms)`);
  console.log(`goal: second ≤ no setup + 2000 ms: ${second - none <= 2000 ? 'met' : 'not met'}`);
} finally {
  await stack.server.stop();
  await model.close();
}
