import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { testAgentsDir } from '../e2e/agents.js';
import { git, makeRepo, REAL_KEY, type EventJson } from '../e2e/stack.js';
import { ensureNodeBaseImage, imageExists } from './base-image.js';

/**
 * deploy/compose.yaml as an operator starts it (`docker-compose -f deploy/compose.yaml
 * up -d`, Debian's docker-compose 1.29), with the image built from the Dockerfile, and a
 * session run in it end to end. The test's override file only points it at what this
 * machine has: images made here (nothing can be pulled), and the host's network, so the
 * runner reaches the scripted model server on loopback (this engine has no NAT).
 */

const ROOT = join(import.meta.dirname, '../..');
const HANGAR_IMAGE = 'hangar-test/hangar:compose';
// Needs `hangar serve --no-runner` and `hangar runner` (issue 20's roles).
const POSTGRES_IMAGE = 'hangar-test/postgres:compose';
const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Builds with the host's network (apt and npm inside the build reach their mirrors). */
async function build(tag: string, context: string, args: Record<string, string>) {
  const buildArgs = Object.entries(args).flatMap(([key, value]) => [
    '--build-arg',
    `${key}=${value}`,
  ]);
  await run('docker', ['build', '--network', 'host', '-q', '-t', tag, ...buildArgs, context], {
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
}

describe('deploy/compose.yaml, the whole stack', { tags: ['slow'], timeout: 45 * 60_000 }, () => {
  let model: ModelServer | undefined;
  let dir = '';
  let project: string;
  let url = '';
  let token = '';
  let compose = (...args: string[]): Promise<string> =>
    Promise.reject(new Error(`the stack is not started: ${args.join(' ')}`));

  beforeAll(async () => {
    const base = ensureNodeBaseImage();
    // Layers are kept in the engine's data root: a second run rebuilds only what changed.
    await build(HANGAR_IMAGE, ROOT, { NODE_IMAGE: base });
    if (!imageExists(POSTGRES_IMAGE)) {
      await build(POSTGRES_IMAGE, join(ROOT, 'test/docker/postgres'), { BASE_IMAGE: base });
    }

    model = await startModelServer({ script: { replies: [] } });
    dir = mkdtempSync(join(tmpdir(), 'hangar-compose-'));
    const [apiPort, pgPort] = [await freePort(), await freePort()];
    const password = `pw${String(Date.now())}`;
    // What an operator writes into deploy/postgres.env and deploy/hangar.env.
    // The operator's copy of deploy/ with its env files beside compose.yaml (they are
    // named relative to it; an override's env_file or ports would add to the file's).
    writeFileSync(
      join(dir, 'compose.yaml'),
      readFileSync(join(ROOT, 'deploy/compose.yaml'), 'utf8')
        .replace(/^(\s+context:) \.\.$/m, `$1 ${ROOT}`)
        // On the host's network the API listens on HANGAR_PORT itself: no published port.
        .replace(/^ {4}ports:\n {6}- .*\n/m, ''),
    );
    writeFileSync(join(dir, 'postgres.env'), `POSTGRES_PASSWORD=${password}\n`);
    writeFileSync(
      join(dir, 'hangar.env'),
      [
        `DATABASE_URL=postgres://hangar:${password}@127.0.0.1:${String(pgPort)}/hangar`,
        `ANTHROPIC_API_KEY=${REAL_KEY}`,
        `ANTHROPIC_BASE_URL=${model.url}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'test.yaml'),
      `services:
  postgres:
    image: ${POSTGRES_IMAGE}
    network_mode: host
    environment:
      PGPORT: '${String(pgPort)}'
  api:
    image: ${HANGAR_IMAGE}
    network_mode: host
    environment:
      HANGAR_HOST: 127.0.0.1
      HANGAR_PORT: '${String(apiPort)}'
  runner:
    image: ${HANGAR_IMAGE}
    network_mode: host
    environment:
      HANGAR_AGENTS_DIR: /var/lib/hangar-agents
    volumes:
      - ${testAgentsDir()}:/var/lib/hangar-agents
`,
    );
    project = `hangartest${String(process.pid)}`;
    compose = async (...args: string[]) =>
      (
        await run(
          'docker-compose',
          ['-p', project, '-f', join(dir, 'compose.yaml'), '-f', join(dir, 'test.yaml'), ...args],
          {
            env: { ...process.env, HANGAR_PUBLISH: `127.0.0.1:${String(apiPort)}` },
            maxBuffer: 64 * 1024 * 1024,
          },
        )
      ).stdout;
    await compose('up', '-d', '--no-build');
    url = `http://127.0.0.1:${String(apiPort)}`;
    await waitFor(async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true);
    token = (await compose('exec', '-T', 'api', 'cat', '/var/lib/hangar/admin-token')).trim();
  }, 40 * 60_000);

  afterAll(async () => {
    const logs = await compose('logs', '--no-color', '--tail', '40').catch(() => '');
    if (process.env.HANGAR_TEST_COMPOSE_LOGS) console.log(logs);
    await compose('down', '-v', '--timeout', '20').catch(() => undefined);
    await model?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the answer's shape
  async function api<T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as T };
  }

  it('starts PostgreSQL, an API node and a runner that has registered', async () => {
    const ps = await compose('ps', '--services', '--filter', 'status=running');
    expect(ps.split('\n').filter(Boolean).sort()).toEqual(['api', 'postgres', 'runner']);
    const runners = await waitFor(async () => {
      const { json } = await api<{ runners: { host: string }[] }>('GET', '/runners');
      return json.runners.length > 0 ? json.runners : undefined;
    });
    expect(runners).toHaveLength(1);
  });

  it('runs a session on the runner, its events showing the agent answer', async () => {
    const repo = makeRepo('demo', { 'README.md': '# demo\n' });
    git(repo, 'bundle', 'create', '-q', `${repo}.bundle`, '--all');
    const upload = await fetch(`${url}/api/v1/bundles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body: readFileSync(`${repo}.bundle`),
    });
    expect(upload.status).toBe(201);
    const { id: bundleId } = (await upload.json()) as { id: string };
    model?.setScript({ replies: [say('Hello from a runner in a container.')] });
    const created = await api<{ id: string }>('POST', '/sessions', {
      prompt: 'say hello',
      source: { type: 'bundle', bundleId, name: 'demo' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);

    const events = await waitFor(async () => {
      const { json } = await api<{ events: EventJson[] }>(
        'GET',
        `/sessions/${created.json.id}/events?after=0&limit=1000`,
      );
      const last = json.events.filter((e) => e.type === 'session.status').at(-1);
      if (last?.data.status === 'failed')
        throw new Error(`session failed: ${last.data.reason ?? ''}`);
      return last?.data.status === 'idle' ? json.events : undefined;
    }, 300_000);
    expect(events.some((e) => e.data.text?.includes('Hello from a runner in a container.'))).toBe(
      true,
    );
  });
});

/** Polls `check` until it returns something truthy (or throws what it threw last). */
async function waitFor<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 180_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return undefined;
    });
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
