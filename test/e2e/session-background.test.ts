import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { serverConfigFrom } from '../../src/config.js';
import type { Sandbox, SandboxDriver } from '../../src/sandbox/driver.js';
import { LocalDriver, localDriverOptionsFrom } from '../../src/sandbox/local-driver.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { testAgentsDir } from './agents.js';
import { commit, git, REAL_KEY, type SessionJson } from './stack.js';

/**
 * Work the runner does not await (here the hibernate timer) must never take the server
 * down: a real server in this process, real sandboxes, the real agent, and a driver
 * whose sandboxes refuse to stop.
 */

/** The real driver, but every sandbox's `stop()` throws (start, exec, destroy are real). */
function stopRefused(driver: SandboxDriver): SandboxDriver {
  const wrap = (sandbox: Sandbox): Sandbox =>
    new Proxy(sandbox, {
      get(target, property) {
        if (property === 'stop') return () => Promise.reject(new Error('stop refused by the test'));
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  return {
    create: async (spec) => wrap(await driver.create(spec)),
    get: async (id) => wrap(await driver.get(id)),
    list: () => driver.list(),
  };
}

let model: ModelServer;
let server: RunningServer;
let dataDir: string;
let token: string;
const saved = { ...process.env };

beforeAll(async () => {
  model = await startModelServer({ script: { replies: [] } });
  dataDir = mkdtempSync(join(tmpdir(), 'hangar-bg-'));
  // The gateway reads the model upstream from the process's environment.
  process.env.ANTHROPIC_BASE_URL = model.url;
  process.env.ANTHROPIC_API_KEY = REAL_KEY;
  const config = serverConfigFrom({
    HANGAR_DATA_DIR: dataDir,
    HANGAR_PORT: '0',
    HANGAR_AGENTS_DIR: testAgentsDir(),
    HANGAR_HIBERNATE_SECONDS: '1',
    ANTHROPIC_BASE_URL: model.url,
    ANTHROPIC_API_KEY: REAL_KEY,
  });
  const driver = stopRefused(new LocalDriver(localDriverOptionsFrom(process.env, dataDir)));
  server = await startServer(config, pino({ level: 'silent' }), { driver });
  token = readFileSync(server.adminTokenFile, 'utf8').trim();
}, 600_000);

afterAll(async () => {
  await server.close();
  await model.close();
  process.env = saved;
  rmSync(dataDir, { recursive: true, force: true });
});

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return (await res.json()) as T;
}

async function waitForStatus(id: string, status: string): Promise<SessionJson> {
  for (;;) {
    const session = await api<SessionJson>('GET', `/sessions/${id}`);
    if (session.status === status) return session;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('a sandbox that cannot be stopped', { timeout: 300_000 }, () => {
  it('fails its idle session with the reason, and the server stays up', async () => {
    const repo = join(mkdtempSync(join(tmpdir(), 'hangar-bg-repo-')), 'demo');
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    writeFileSync(join(repo, 'README.md'), '# demo\n');
    git(repo, 'add', '.');
    commit(repo, 'initial');
    git(repo, 'bundle', 'create', '-q', `${repo}.bundle`, '--all');
    const upload = await fetch(`${server.url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(`${repo}.bundle`),
    });
    const { id: bundleId } = (await upload.json()) as { id: string };

    model.setScript({ replies: [say('done')] });
    const { id } = await api<{ id: string }>('POST', '/sessions', {
      prompt: 'say done',
      source: { type: 'bundle', bundleId },
    });
    // The turn ends, the session idles, and a second later the hibernate timer's stop() throws.
    const failed = await waitForStatus(id, 'failed');
    expect(failed.failureReason).toMatch(
      /Could not stop the idle sandbox: stop refused by the test/,
    );

    // Still serving: health, and the API for the failed session (which is deleted cleanly).
    const health = await fetch(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await api('DELETE', `/sessions/${id}`)).toEqual({ deleted: id });
  });
});
