/**
 * bench/runners: sessions started per minute by one and by two `hangar runner` processes
 * on this machine, sharing one PostgreSQL with an API node (`hangar serve --no-runner`),
 * and the claim latency (the session's row made → its runner's first `provisioning`
 * event, both stamped by the database's clock), p50 and p99.
 *
 * Each round submits SESSIONS sessions at once (a small git repo, Claude Code answering
 * the scripted model server in one reply) and waits until each has finished its first
 * turn. Sessions per minute = SESSIONS ÷ (first row made → last first turn's end).
 *
 *   npm run build && scripts/with-postgres npx tsx bench/runners.ts [--sessions 12] [--rounds 1]
 *   (as root: sandboxes need it)
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { startModelServer } from '../fixtures/model-server.js';
import { Cluster } from '../test/e2e/cluster.js';
import { startGitHost } from '../test/e2e/git-host.js';
import { makeRepo, type Stack } from '../test/e2e/stack.js';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '1' },
  },
});
const SESSIONS = Number(values.sessions);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(SESSIONS) || SESSIONS < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  throw new Error('--sessions and --rounds take whole numbers of at least 1');
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

interface Round {
  perMinute: number;
  claimMs: number[];
  runnersUsed: number;
}

/** Submits `count` sessions to `api` at once; reads what the database recorded of them. */
async function round(
  api: Stack,
  databaseUrl: string,
  url: string,
  tag: string,
  count = SESSIONS,
): Promise<Round> {
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { status, json } = await api.api<{ id: string }>('POST', '/sessions', {
        prompt: `runners bench ${tag} session ${i}`,
        source: { type: 'git', url },
      });
      if (status !== 201)
        throw new Error(`POST /sessions answered ${status}: ${JSON.stringify(json)}`);
      return json.id;
    }),
  );
  await Promise.all(ids.map((id) => api.waitForTurns(id, 1)));
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{
      id: string;
      created: Date;
      claimed: Date;
      ended: Date;
      owner: string | null;
    }>(
      `select s.id, s.created_at as created, s.lease_owner as owner,
              (select min(e.created_at) from events e where e.session_id = s.id
                 and e.type = 'session.status' and e.data->>'status' = 'provisioning') as claimed,
              (select min(e.created_at) from events e where e.session_id = s.id
                 and e.type = 'turn.result') as ended
         from sessions s where s.id = any($1)`,
      [ids],
    );
    const first = Math.min(...rows.map((r) => r.created.getTime()));
    const last = Math.max(...rows.map((r) => r.ended.getTime()));
    return {
      perMinute: (count / (last - first)) * 60_000,
      claimMs: rows.map((r) => r.claimed.getTime() - r.created.getTime()),
      runnersUsed: new Set(rows.map((r) => r.owner)).size,
    };
  } finally {
    await client.end();
  }
}

const model = await startModelServer({ script: { replies: [] } });
const upstream = await startGitHost(makeRepo('demo', { 'README.md': '# demo\n' }));
const results = new Map<number, Round[]>();
try {
  for (const runners of [1, 2]) {
    const cluster = await Cluster.start(model, {
      apis: 1,
      runners,
      // One user submits them all: the per-user limits must not be what is measured.
      extra: {
        HANGAR_MAX_SESSIONS_PER_USER: '100',
        HANGAR_MAX_SESSIONS_PER_USER_PER_HOUR: '10000',
      },
    });
    try {
      const api = cluster.apis[0] as Stack;
      // One uncounted session: agent install checks and first-start caches.
      await round(api, cluster.databaseUrl, upstream.url, 'warm-up', 1);
      const rounds: Round[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        rounds.push(await round(api, cluster.databaseUrl, upstream.url, `${runners}-${r}`));
      }
      results.set(runners, rounds);
    } finally {
      await cluster.stop();
    }
  }
} finally {
  upstream.close();
  await model.close();
}

const load = (await import('node:os')).loadavg()[0]?.toFixed(1);
console.log(`bench/runners: ${SESSIONS} sessions a round, ${ROUNDS} round(s), load ${load}`);
const summary = new Map<number, number>();
for (const [runners, rounds] of results) {
  const perMinute = percentile(
    rounds.map((r) => r.perMinute),
    50,
  );
  const claims = rounds.flatMap((r) => r.claimMs);
  summary.set(runners, perMinute);
  console.log(
    `  ${runners} runner(s): ${perMinute.toFixed(1)} sessions/min; claim latency p50 ` +
      `${percentile(claims, 50).toFixed(0)} ms, p99 ${percentile(claims, 99).toFixed(0)} ms; ` +
      `runners used: ${rounds.map((r) => r.runnersUsed).join(', ')}`,
  );
}
const one = summary.get(1) ?? NaN;
const two = summary.get(2) ?? NaN;
console.log(`  2 runners ÷ 1 runner: ${(two / one).toFixed(2)}× the sessions per minute`);
