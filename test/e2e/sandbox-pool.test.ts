// The warm pool (HANGAR_SANDBOX_POOL): a create of a shape seen before gets a sandbox
// started ahead of time, and nothing about it shows: its own disk, its limits, its
// variables, its gateway or no network at all; pooled ones are never listed, and a
// process that dies leaves none behind for long.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { policyFor } from '../../src/gateway/egress-policy.js';
import { createGateway } from '../../src/gateway/gateway.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import { processesOf, sh, testDriver } from './sandbox-helpers.js';

const driver = testDriver({ warmPool: 1 });
const gatewayDir = mkdtempSync(join(tmpdir(), 'hangar-gw-'));
const socket = join(gatewayDir, 'gateway.sock');
const server = createServer((s) => s.end('gateway\n'));

afterAll(async () => {
  await driver.close();
  server.close();
  driver.cleanupGroup();
  rmSync(gatewayDir, { recursive: true, force: true });
  rmSync(driver.dataDir, { recursive: true, force: true });
});

const pooledDirs = () =>
  readdirSync(driver.sandboxesDir).filter((id) =>
    readdirSync(join(driver.sandboxesDir, id)).includes('pooled'),
  );

it(
  'gives a pooled sandbox the create’s own limits, variables and disk',
  { timeout: 240_000 },
  async () => {
    const first = await driver.create({ env: { WHO: 'first' } });
    await sh(first, 'echo mine > ~/note');
    await driver.poolSettled();
    expect(pooledDirs()).toHaveLength(1);
    const [pooled] = pooledDirs();

    const second = await driver.create({
      env: { WHO: 'second' },
      limits: { memoryBytes: 300 * 2 ** 20 },
    });
    expect(second.id).toBe(pooled);
    expect((await sh(second, 'echo $WHO; cat ~/note 2>&1 || true')).stdout).toMatch(
      /^second\n.*No such file/,
    );
    expect((await second.stats()).limits.memoryBytes).toBe(300 * 2 ** 20);
    expect(await driver.list()).toEqual(expect.arrayContaining([first.id, second.id]));
    await driver.poolSettled();
    // The next one waits in the pool, and is neither listed nor found.
    const [next] = pooledDirs();
    expect(next).toBeDefined();
    expect(await driver.list()).not.toContain(next);
    await expect(driver.get(next ?? '')).rejects.toThrow(/No sandbox with id/);
    await first.destroy();
    await second.destroy();
  },
);

it('gives a pooled sandbox its gateway, or no network at all', { timeout: 240_000 }, async () => {
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  const tcp = 'bash -c "exec 3<>/dev/tcp/127.0.0.1/3128 && cat <&3" 2>&1 || echo refused';
  await (await driver.create({})).destroy();
  await driver.poolSettled();
  const withGateway = await driver.create({ gatewaySocket: socket });
  expect((await sh(withGateway, tcp)).stdout).toBe('gateway\n');
  await withGateway.destroy();
  await driver.poolSettled();
  const offline = await driver.create({});
  expect((await sh(offline, tcp)).stdout).toMatch(/refused/);
  await offline.destroy();
});

it(
  'gives a pooled sandbox an in-process gateway, accepting in its own namespace',
  { timeout: 240_000 },
  async () => {
    const gateway = createGateway();
    const served = new LocalDriver({
      dataDir: driver.dataDir,
      cgroupGroup: driver.cgroupGroup,
      gateway,
      warmPool: 1,
    });
    const ask =
      'curl -sS -i -x http://127.0.0.1:3128 http://blocked.hangar.test/ 2>&1 || echo refused';
    try {
      for (const name of ['cold', 'pooled']) {
        const socketPath = join(gatewayDir, `${name}.sock`);
        const attachment = await gateway.attach(name, {
          socketPath,
          policy: policyFor({ level: 'none' }, []),
        });
        await served.poolSettled();
        const box = await served.create({ gatewaySocket: socketPath });
        expect((await sh(box, ask)).stdout).toMatch(/X-Hangar-Deny-Reason: network-none/i);
        await box.destroy();
        await attachment.detach();
      }
      await served.poolSettled();
      const offline = await served.create({});
      expect((await sh(offline, ask)).stdout).toMatch(/refused/);
      await offline.destroy();
    } finally {
      await served.close();
      await gateway.close();
    }
  },
);

it('removes pooled sandboxes a process that died left behind', { timeout: 240_000 }, async () => {
  await driver.poolSettled();
  const [left] = pooledDirs();
  expect(left).toBeDefined();
  // As if the process that pooled it had died: its pid is one no process has.
  writeFileSync(join(driver.sandboxesDir, left ?? '', 'pooled'), '2147483646');
  const other = new LocalDriver({
    dataDir: driver.dataDir,
    cgroupGroup: driver.cgroupGroup,
    warmPool: 1,
  });
  const box = await other.create({});
  expect(readdirSync(driver.sandboxesDir)).not.toContain(left);
  await box.destroy();
  await other.close();
  expect(
    pooledDirs().filter(
      (id) => readFileSync(join(driver.sandboxesDir, id, 'pooled'), 'utf8') !== String(process.pid),
    ),
  ).toEqual([]);
});

it('leaves nothing running once closed', { timeout: 120_000 }, async () => {
  await driver.close();
  expect(pooledDirs()).toEqual([]);
  expect(processesOf(driver.dataDir, driver.cgroupGroup)).toEqual([]);
});
