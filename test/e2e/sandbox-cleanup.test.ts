// destroy() leaves no process, mount, loop device, cgroup or directory behind: counted
// before and after 20 create/exec/destroy cycles, half of them with a gateway relay and
// each leaving a background process running.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import {
  loopsOf,
  mountsOf,
  processesOf,
  sandboxCgroups,
  sh,
  testDriver,
} from './sandbox-helpers.js';

const driver = testDriver();
const gatewayDir = mkdtempSync(join(tmpdir(), 'hangar-gw-'));
const socket = join(gatewayDir, 'gateway.sock');
const server = createServer((s) => s.end('ok\n'));

afterAll(() => {
  server.close();
  driver.cleanupGroup();
  rmSync(gatewayDir, { recursive: true, force: true });
  rmSync(driver.dataDir, { recursive: true, force: true });
});

function census() {
  return {
    processes: processesOf(driver.dataDir, driver.cgroupGroup).length,
    mounts: mountsOf(driver.dataDir).length,
    loops: loopsOf(driver.dataDir).length,
    cgroups: sandboxCgroups(driver.cgroupGroup).length,
    sandboxDirs: readdirSync(driver.sandboxesDir).length,
  };
}

it('leaves nothing behind after 20 create/destroy cycles', { timeout: 240_000 }, async () => {
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  // Warm the base and disk template so they are not counted as the cycles' leftovers.
  await (await driver.create({})).destroy();
  const before = census();
  expect(before).toMatchObject({ processes: 0, mounts: 0, loops: 0, cgroups: 0, sandboxDirs: 0 });

  for (let i = 0; i < 20; i++) {
    const withGateway = i % 2 === 0;
    const box = await driver.create(withGateway ? { gatewaySocket: socket } : {});
    void box.exec(['sh', '-c', 'sleep 600 & sleep 600']).catch(() => undefined);
    const out = await sh(
      box,
      withGateway ? 'bash -c "exec 3<>/dev/tcp/127.0.0.1/3128; cat <&3"' : 'echo ok',
    );
    expect(out.stdout).toBe('ok\n');
    if (i % 5 === 4) {
      // Stop/start in the middle of a life leaves nothing either.
      await box.stop();
      await box.start();
    }
    await box.destroy();
  }

  const after = census();
  expect(after).toEqual(before);
});
