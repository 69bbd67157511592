import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalGateway } from '../../src/gateway/local-gateway.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import type { SandboxUser } from '../../src/sandbox/driver.js';

// The real-world check: package managers inside a sandbox, through the proxy,
// using whatever registries this machine is configured with (no host name is written
// here: the shipped trusted list covers them by wildcard). It needs the machine's
// registries to be reachable, as `scripts/setup` does.
const dataDir = mkdtempSync(join(tmpdir(), 'hangar-gw-real-'));
const driver = new LocalDriver({ dataDir, cgroupGroup: `hangar-gw-real-${process.pid}` });

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function inSandbox(
  network: string,
  commands: { user: SandboxUser; script: string }[],
): Promise<{ results: { code: number; out: string }[]; summary: string[] }> {
  const gateway = await startLocalGateway(process.env, dataDir, { network });
  const box = await driver.create({
    gatewaySocket: gateway.socketPath,
    env: gateway.env('127.0.0.1:3128'),
  });
  const results: { code: number; out: string }[] = [];
  try {
    for (const { user, script } of commands) {
      const output = new PassThrough();
      let out = '';
      output.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const result = await box.exec(['/bin/sh', '-c', script], {
        user,
        stdout: output,
        stderr: output,
      });
      results.push({ code: result.exitCode, out });
    }
  } finally {
    await box.destroy();
    await gateway.close();
  }
  return { results, summary: gateway.summary() };
}

const npmView = {
  user: 'user' as const,
  script: 'npm view --no-update-notifier is-number version 2>&1',
};
const aptUpdate = { user: 'root' as const, script: 'apt-get update 2>&1' };

describe('real registries through the gateway', () => {
  it('at trusted, npm view and apt-get update succeed', async () => {
    const { results, summary } = await inSandbox('trusted', [npmView, aptUpdate]);
    const [npm, apt] = results;
    expect(npm?.code, npm?.out).toBe(0);
    expect(npm?.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(apt?.code, apt?.out).toBe(0);
    expect(apt?.out).toMatch(/Reading package lists/);
    expect(summary).toEqual([]);
  }, 300_000);

  it('at none, both fail and the 403 reason is visible', async () => {
    const { results, summary } = await inSandbox('none', [npmView, aptUpdate]);
    const [npm, apt] = results;
    expect(npm?.code).not.toBe(0);
    expect(npm?.out).toMatch(/403/);
    expect(apt?.code === 0 && !/403/.test(apt.out)).toBe(false);
    expect(apt?.out).toMatch(/403/);
    expect(summary[0]).toMatch(/^Hangar blocked \d+ network request/);
    expect(summary.join('\n')).toMatch(/network-none/);
  }, 300_000);
});
