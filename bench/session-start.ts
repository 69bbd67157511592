/**
 * bench/session-start: from `POST /api/v1/sessions` to the agent's first request at the
 * model server, p50 over RUNS sessions on a small repo without a setup script, next to
 * the same `claude -p` run bare on the host in the same run. Hangar's own overhead is
 * the difference of the two p50s (goal: ≤ 300 ms).
 *
 *   npm run build && npx tsx bench/session-start.ts [runs]   (as root: sandboxes need it)
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startModelServer, type ModelServer } from '../fixtures/model-server.js';
import { CLAUDE_CODE } from '../src/agents/claude-code/package.js';
import { STREAM_JSON_ARGS, userMessageLine } from '../src/agents/claude-code/stream.js';
import { ensureAgent } from '../src/agents/install.js';
import { isolatedEnv, startServe } from '../test/e2e/hangar.js';
import { makeRepo } from '../test/e2e/stack.js';

const RUNS = Number(process.argv[2] ?? 20);
const agentsDir = process.env.HANGAR_AGENTS_DIR ?? join(tmpdir(), 'hangar-test-agents');
const script = { replies: [{ content: [{ type: 'text' as const, text: 'ok' }] }] };

/** Waits for the next agent request after `count` were seen; answers when it arrived. */
async function nextAgentRequest(model: ModelServer, count: number): Promise<number> {
  for (;;) {
    const requests = model.agentRequests();
    const request = requests[count];
    if (request) return request.receivedAt;
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function bare(model: ModelServer, claude: string, repo: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    model.setScript(script);
    const seen = model.agentRequests().length;
    const started = Date.now();
    const child = spawn(claude, [...STREAM_JSON_ARGS, '--dangerously-skip-permissions'], {
      cwd: repo,
      stdio: ['pipe', 'ignore', 'ignore'],
      env: {
        PATH: process.env.PATH,
        HOME: repo,
        IS_SANDBOX: '1',
        ANTHROPIC_BASE_URL: model.url,
        ANTHROPIC_API_KEY: 'sk-bench',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      },
    });
    child.stdin.end(userMessageLine('hi'));
    times.push((await nextAgentRequest(model, seen)) - started);
    await new Promise((resolve) => child.once('exit', resolve));
  }
  return times;
}

/** Per run: ms from POST to each status change (`provisioning/sandbox` …), and to the model request. */
const phases: Record<string, number>[] = [];

async function viaHangar(model: ModelServer, repo: string): Promise<number[]> {
  const env = isolatedEnv({
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: 'sk-bench',
    HANGAR_AGENTS_DIR: agentsDir,
  });
  const server = await startServe(env);
  const token = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
  const call = async (
    method: string,
    path: string,
    body?: string | Buffer,
    type = 'application/json',
  ) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': type },
      body: body ?? null,
    });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; status: string };
  };
  const bundleFile = `${repo}.bundle`;
  execFileSync('git', ['bundle', 'create', '-q', bundleFile, '--all'], { cwd: repo });
  const times: number[] = [];
  try {
    for (let i = 0; i < RUNS + 1; i++) {
      // A bundle goes with the last session that used it: one upload a run, not timed.
      const bundle = await call(
        'POST',
        '/bundles',
        readFileSync(bundleFile),
        'application/octet-stream',
      );
      model.setScript(script);
      const seen = model.agentRequests().length;
      const started = Date.now();
      const session = await call(
        'POST',
        '/sessions',
        JSON.stringify({ prompt: 'hi', source: { type: 'bundle', bundleId: bundle.id } }),
      );
      const elapsed = (await nextAgentRequest(model, seen)) - started;
      // The first run also installs the agent and prepares the sandbox base: not counted.
      if (i > 0) times.push(elapsed);
      for (;;) {
        const state = await call('GET', `/sessions/${session.id}`);
        if (state.status === 'idle' || state.status === 'failed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (i > 0) {
        const page = (await call('GET', `/sessions/${session.id}/events`)) as unknown as {
          events: {
            type: string;
            data: { status?: string; subStep?: string };
            createdAt: string;
          }[];
        };
        const marks: Record<string, number> = { 'first model request': elapsed };
        for (const event of page.events) {
          if (event.type !== 'session.status' || !event.data.status) continue;
          const name = [event.data.status, event.data.subStep].filter(Boolean).join('/');
          marks[name] ??= Date.parse(event.createdAt) - started;
        }
        phases.push(marks);
      }
      await call('DELETE', `/sessions/${session.id}`);
    }
  } finally {
    await server.stop();
  }
  return times;
}

const model = await startModelServer({ script });
const repo = makeRepo('repo', { 'README.md': '# bench\n' });
const claude = (await ensureAgent(agentsDir, CLAUDE_CODE)).bin;

const bareTimes = await bare(model, claude, repo);
const hangarTimes = await viaHangar(model, repo);
await model.close();

const bareP50 = percentile(bareTimes, 50);
const hangarP50 = percentile(hangarTimes, 50);
console.log(`session start → first model request, ${RUNS} runs each`);
console.log(`  bare claude -p on the host: p50 ${bareP50} ms, p95 ${percentile(bareTimes, 95)} ms`);
console.log(
  `  via hangar (POST /sessions): p50 ${hangarP50} ms, p95 ${percentile(hangarTimes, 95)} ms`,
);
console.log(`  Hangar's overhead (p50 difference): ${hangarP50 - bareP50} ms (goal ≤ 300 ms)`);
console.log(`  ratio hangar/bare (p50): ${(hangarP50 / bareP50).toFixed(2)}`);
console.log(
  '  where the time goes: ms after POST /sessions when each began, p50 (the first from each run):',
);
const names = [...new Set(phases.flatMap((marks) => Object.keys(marks)))];
const at = (name: string) =>
  percentile(
    phases.map((marks) => marks[name] ?? NaN).filter((v) => !Number.isNaN(v)),
    50,
  );
for (const name of names.sort((a, b) => at(a) - at(b))) {
  console.log(`    ${name.padEnd(28)} ${at(name)} ms`);
}
