// The isolation suite (isolation-suite.ts) against the local driver: real bubblewrap,
// overlayfs and cgroups. Runs as root; fails (never skips) when the host cannot run sandboxes.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import { isolationSuite } from './isolation-suite.js';
import { eventually, groupDirs, processesOf, testDriver } from './sandbox-helpers.js';

isolationSuite('local', () => {
  const driver = testDriver();
  return {
    driver,
    dataDir: driver.dataDir,
    sandboxDir: (id) => join(driver.sandboxesDir, id),
    cleanup: () => {
      driver.cleanupGroup();
      rmSync(driver.dataDir, { recursive: true, force: true });
    },
  };
});

describe('the driver', () => {
  it('dies with its parent: killing the process that made it leaves nothing running', async () => {
    const built = new URL('../../dist/sandbox/local-driver.js', import.meta.url).pathname;
    expect(existsSync(built), 'run `npm run build` first: this test runs the built driver').toBe(
      true,
    );
    const script = `
      import { LocalDriver } from ${JSON.stringify(built)};
      const d = new LocalDriver({ dataDir: process.argv[1], cgroupGroup: process.argv[2] });
      const box = await d.create({});
      void box.exec(['sh', '-c', 'sleep 300 & sleep 300']);
      setTimeout(() => console.log(box.id), 300);
      setInterval(() => {}, 1000);
    `;
    const dataDir = mkdtempSync(join(tmpdir(), 'hangar-orphan-'));
    const group = `hangar-test-${process.pid}-orphan`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir, group], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => {
        resolve(d.toString().trim());
      });
      child.once('exit', () => {
        reject(new Error(`the child exited early: ${stderr}`));
      });
    });
    expect(processesOf(dataDir, group).length).toBeGreaterThan(2);
    child.kill('SIGKILL');
    expect(await eventually(() => processesOf(dataDir, group).length === 0)).toBe(true);

    // Its disk is left, stopped, for the next process to resume or remove.
    const other = new LocalDriver({ dataDir, cgroupGroup: group });
    const box = await other.get(id);
    expect(box.state()).toBe('stopped');
    await box.destroy();
    expect(await other.list()).toEqual([]);
    for (const dir of groupDirs(group)) rmdirSync(dir);
    rmSync(dataDir, { recursive: true, force: true });
  });
});
