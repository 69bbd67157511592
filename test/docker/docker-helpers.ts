import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerDriver, dockerDriverOptionsFrom } from '../../src/sandbox/docker-driver.js';
import type { SuiteDriver } from '../e2e/isolation-suite.js';

/**
 * A Docker driver on the test stage's engine (scripts/with-dockerd sets DOCKER_HOST) in
 * a fresh data dir, whose sandboxes only it lists. `cleanup` removes the containers it
 * left and the data dir.
 */
export function dockerTestDriver(
  options: { env?: NodeJS.ProcessEnv; onWarning?: (message: string) => void } = {},
): SuiteDriver & { driver: DockerDriver; cleanupAsync: () => Promise<void> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-docker-'));
  const driver = new DockerDriver({
    ...dockerDriverOptionsFrom(options.env ?? process.env, dataDir),
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
  });
  const cleanupAsync = async () => {
    for (const id of await driver.list()) await (await driver.get(id)).destroy();
    await driver.close();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    driver,
    dataDir,
    cleanup: cleanupAsync,
    cleanupAsync,
  };
}
