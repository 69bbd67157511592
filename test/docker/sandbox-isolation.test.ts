// The isolation suite (test/e2e/isolation-suite.ts) against the Docker driver, on the
// engine scripts/with-dockerd starts: Debian's dockerd, images made by `docker import`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isolationSuite } from '../e2e/isolation-suite.js';
import { minimalImage } from '../e2e/images.js';
import { sh } from '../e2e/sandbox-helpers.js';
import { dockerTestDriver } from './docker-helpers.js';

isolationSuite('docker', () => dockerTestDriver());

describe('the Docker driver', () => {
  it('keeps a sandbox when the process that made it dies: another process takes it over', async () => {
    const built = new URL('../../dist/sandbox/docker-driver.js', import.meta.url).pathname;
    expect(existsSync(built), 'run `npm run build` first: this test runs the built driver').toBe(
      true,
    );
    const { driver: other, dataDir, cleanupAsync } = dockerTestDriver();
    await minimalImage(dataDir);
    const script = `
      import { DockerDriver, dockerDriverOptionsFrom } from ${JSON.stringify(built)};
      const d = new DockerDriver(dockerDriverOptionsFrom(process.env, process.argv[1]));
      const box = await d.create({});
      await box.exec(['sh', '-c', 'echo kept > ~/file']);
      console.log(box.id);
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const id = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
      child.once('exit', () => reject(new Error(`the child exited early: ${stderr}`)));
    });
    child.kill('SIGKILL');
    try {
      // Containers outlive Hangar (README, "Docker driver"): the sandbox runs on, listed.
      expect(await other.list()).toEqual([id]);
      const box = await other.get(id);
      expect(box.state()).toBe('running');
      expect((await sh(box, 'cat ~/file')).stdout).toBe('kept\n');
      await box.destroy();
      expect(await other.list()).toEqual([]);
    } finally {
      await cleanupAsync();
    }
  });

  it('refuses a runtime the engine does not have, naming it', async () => {
    const { driver, cleanupAsync } = dockerTestDriver({
      env: { ...process.env, HANGAR_DOCKER_RUNTIME: 'no-such-runtime' },
    });
    try {
      await expect(driver.create({})).rejects.toThrow(
        /no runtime "no-such-runtime" \(it has [^)]*runc/,
      );
    } finally {
      await cleanupAsync();
    }
  });

  it('says what to do when no image is set and none is built', async () => {
    const { driver, cleanupAsync } = dockerTestDriver();
    try {
      await expect(driver.create({})).rejects.toThrow(/hangar image build minimal/);
    } finally {
      await cleanupAsync();
    }
  });

  it('refuses the setup cache: snapshots are not supported', async () => {
    const { driver, dataDir, cleanupAsync } = dockerTestDriver();
    try {
      await minimalImage(dataDir);
      const box = await driver.create({});
      await expect(box.snapshot('/nonexistent', [])).rejects.toThrow(
        /not supported by the Docker driver/,
      );
      await expect(driver.create({ layers: [dataDir] })).rejects.toThrow(
        /not supported by the Docker driver/,
      );
    } finally {
      await cleanupAsync();
    }
  });
});
