// The setup cache's mechanism with real sandboxes: a sandbox's writes kept as a layer
// (not the repo), a new sandbox made on that layer, clearing and age; then sessions
// through the runner of a real `hangar serve`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bashCall, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { sessionBareRepo } from '../../src/data-dir.js';
import { SetupCache, setupKey } from '../../src/sessions/setup-cache.js';
import { sh, testDriver } from './sandbox-helpers.js';
import { git, makeRepo, Stack } from './stack.js';

const driver = testDriver();
const target = mkdtempSync(join(tmpdir(), 'hangar-cache-target-'));

afterAll(() => {
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
  rmSync(target, { recursive: true, force: true });
});

const key = setupKey({
  base: undefined,
  script: 'apt-get install x',
  envVars: '',
  network: 'none',
});

it('keeps what setup wrote but the repo, and a new sandbox starts from it', async () => {
  let now = new Date('2026-01-01T00:00:00Z');
  const cache = new SetupCache(driver.dataDir, 7 * 24 * 3600_000, () => now);
  const claim = await cache.claim('env_1', key);
  expect(claim.entry).toBeUndefined();
  // A second session of the same key waits for the first's build.
  let secondGot: unknown;
  const second = cache.claim('env_1', key).then((c) => (secondGot = c.entry?.key));

  const first = await driver.create({});
  try {
    const setup = await sh(
      first,
      [
        'mkdir -p /home/user/repo /opt/tool && echo clone > /home/user/repo/file',
        'echo installed > /opt/tool/bin && echo conf > /etc/tool.conf && rm /etc/issue.net',
        'echo cached > /home/user/.toolrc',
        // A planted link where the repo's parent would be must not make the host's dir go.
        `ln -s ${target} /home/user/evil`,
      ].join(' && '),
      { user: 'root' },
    );
    expect(setup.code).toBe(0);
    await cache.save('env_1', key, (dir) =>
      first.snapshot(dir, ['/home/user/repo', '/home/user/evil/x']),
    );
    claim.done?.();
  } finally {
    await first.destroy();
  }
  await second;
  expect(secondGot).toBe(key);

  const entry = cache.find('env_1', key);
  expect(entry?.builtAt).toBe('2026-01-01T00:00:00.000Z');
  const next = await driver.create({ layers: [entry?.layer ?? ''] });
  try {
    const seen = await sh(
      next,
      'cat /opt/tool/bin /etc/tool.conf /home/user/.toolrc; ls /home/user/repo 2>&1; ls /etc/issue.net 2>&1; id -un',
    );
    expect(seen.stdout).toMatch(
      /^installed\nconf\ncached\nls: .*repo.*No such file.*\nls: .*issue\.net.*No such file.*\nuser\n$/,
    );
  } finally {
    await next.destroy();
  }

  // Older than the limit, or another key: not used.
  now = new Date('2026-01-09T00:00:00Z');
  expect(cache.find('env_1', key)).toBeUndefined();
  now = new Date('2026-01-02T00:00:00Z');
  expect(cache.find('env_1', `${key}x`)).toBeUndefined();
  expect(cache.clear('env_1')).toBe(true);
  expect(cache.find('env_1', key)).toBeUndefined();
}, 180_000);

describe('sessions through the runner', () => {
  let model: ModelServer;
  let stack: Stack;
  let repo: string;

  beforeAll(async () => {
    model = await startModelServer({ script: { replies: [] } });
    repo = makeRepo('demo', { 'README.md': '# demo\n' });
    stack = await Stack.start(model);
  }, 600_000);

  afterAll(async () => {
    await stack.server.stop();
    await model.close();
  });

  /** What the session's setup step printed. */
  async function setupOutput(id: string): Promise<string> {
    const events = await stack.events(id);
    return events
      .filter((e) => e.type === 'setup.output')
      .map((e) => String(e.data.text))
      .join('');
  }

  /** Starts a session of `envId` and waits for its first turn's end (the model's reply is used). */
  async function ready(envId: string): Promise<string> {
    const id = await stack.startSession(repo, { replies: [] }, { environmentId: envId });
    await stack.waitForTurns(id, 1);
    return id;
  }

  const FROM_CACHE = /^setup: from cache \(built (\d{4}-\d\d-\d\dT[\d:.]+Z)\)\n$/;

  it('builds the cache once for two sessions at once; the next starts from it; a new script rebuilds', async () => {
    const envId = await stack.createEnvironment({
      name: 'cached',
      setupScript: 'echo "setup ran"\necho made > /opt/made-by-setup\n',
    });
    const [one, two] = await Promise.all([ready(envId), ready(envId)]);
    const outputs = [await setupOutput(one), await setupOutput(two)];
    // One ran the script; the other waited for it and started from its cache.
    const cached = outputs.find((output) => FROM_CACHE.test(output)) ?? '';
    expect(outputs.filter((output) => output === 'setup ran\n')).toHaveLength(1);
    const builtAt = FROM_CACHE.exec(cached)?.[1] ?? '';
    expect(Date.now() - Date.parse(builtAt)).toBeLessThan(3600_000);

    // The third starts from the same cache, with what setup made.
    const three = await stack.startSession(
      repo,
      { replies: [{ content: [bashCall('cat /opt/made-by-setup')] }] },
      { environmentId: envId },
    );
    const events = await stack.waitForTurns(three, 1);
    expect(await setupOutput(three)).toBe(`setup: from cache (built ${builtAt})\n`);
    expect(String(events.find((e) => e.type === 'tool.result')?.data.output).trim()).toBe('made');

    const edited = await stack.api('PATCH', `/environments/${envId}`, {
      setupScript: 'echo "setup two ran"\n',
    });
    expect(edited.status).toBe(200);
    expect(await setupOutput(await ready(envId))).toBe('setup two ran\n');
  }, 900_000);

  it('does not keep a cache of a setup script that changed while it ran', async () => {
    // The script waits until the test makes a branch `go` in the session's repo on the host.
    const gated =
      'echo waiting\n' +
      "for i in $(seq 1500); do git -c safe.directory='*' -C /home/user/demo ls-remote origin | grep -q refs/heads/go && break; sleep 0.2; done\n" +
      'echo old > /opt/which-setup\n';
    const envId = await stack.createEnvironment({ name: 'changing', setupScript: gated });
    const first = await stack.startSession(repo, { replies: [] }, { environmentId: envId });
    await stack.waitForEvents(first, (events) =>
      events.some((e) => e.type === 'setup.output' && String(e.data.text).includes('waiting')),
    );
    const edited = await stack.api('PATCH', `/environments/${envId}`, {
      setupScript: 'echo new > /opt/which-setup\n',
    });
    expect(edited.status).toBe(200);
    git(sessionBareRepo(stack.dataDir, first), 'update-ref', 'refs/heads/go', 'refs/heads/main');
    await stack.waitForTurns(first, 1);
    expect(await setupOutput(first)).toContain(
      'setup: not cached: the environment changed while its setup ran',
    );
    // Nothing was kept, so the next session runs the new script.
    const cleared = await stack.api<{ cleared: boolean }>(
      'DELETE',
      `/environments/${envId}/setup-cache`,
    );
    expect(cleared.json.cleared).toBe(false);
    const next = await stack.startSession(
      repo,
      { replies: [{ content: [bashCall('cat /opt/which-setup')] }] },
      { environmentId: envId },
    );
    const events = await stack.waitForTurns(next, 1);
    expect(await setupOutput(next)).toBe('');
    expect(String(events.find((e) => e.type === 'tool.result')?.data.output).trim()).toBe('new');
  }, 900_000);
});
