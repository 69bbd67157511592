// Attack class: a sandbox learning host paths or reading host files it should not.
// Where its disk lives (the data dir) is the first step of attacks on the host (see
// host-env.test.ts), so no mount option, environment, command line or working directory
// a sandbox can read may name it; and root inside, who is host uid 0, reads /usr and
// /opt only as an unprivileged user would (issue 11, sections 1 and 3).
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { eventually, sh, testDriver } from '../e2e/sandbox-helpers.js';

const mark = `canary${randomBytes(6).toString('hex')}`;
const driver = testDriver();
const agentDir = join(driver.dataDir, 'agents', `agent-${mark}`);
let box: Sandbox;

beforeAll(async () => {
  mkdirSync(agentDir, { recursive: true, mode: 0o755 });
  writeFileSync(join(agentDir, 'agent'), '#!/bin/sh\necho agent\n', { mode: 0o755 });
  box = await driver.create({ binds: [{ source: agentDir, target: '/opt/hangar-agent' }] });
}, 120_000);

afterAll(async () => {
  await box.destroy();
  driver.cleanupGroup();
  rmSync(driver.dataDir, { recursive: true, force: true });
});

describe('no host path shows inside', () => {
  it('names neither the data dir nor the server’s directory anywhere a sandbox can read', async () => {
    // A second command runs meanwhile, so its processes are among those looked at.
    const stdin = new PassThrough();
    let started = '';
    const stdout = new PassThrough().on('data', (c: Buffer) => (started += c.toString()));
    const other = box.exec(['/bin/sh', '-c', 'echo started; exec cat'], { stdin, stdout });
    try {
      expect(await eventually(() => started === 'started\n', 20_000)).toBe(true);
      const looked = await sh(
        box,
        [
          'cat /proc/self/mountinfo /proc/self/mounts /proc/self/mountstats /proc/self/cgroup',
          'for p in /proc/[0-9]*; do',
          '  tr "\\0" "\\n" < $p/environ; tr "\\0" " " < $p/cmdline; echo',
          '  readlink $p/cwd $p/root $p/exe',
          'done',
          'ps -eo pid,args',
          'env',
        ].join('\n'),
        { user: 'root' },
      );
      expect(looked.code, looked.stderr).toBe(0);
      // It read what it meant to: the overlays, pid 1, the bind.
      expect(looked.stdout).toMatch(/ \/ rw[^\n]* - overlay overlay /);
      expect(looked.stdout).toContain('/opt/hangar-agent');
      expect(looked.stdout).toContain('bwrap --args');
      for (const secret of [driver.dataDir, process.cwd(), 'sandbox-base', 'sandboxes/sbx_']) {
        const line = looked.stdout.split('\n').find((l) => l.includes(secret));
        expect(line, `"${secret}" shows in: ${line}`).toBeUndefined();
      }
      expect((await sh(box, '/opt/hangar-agent/agent')).stdout).toBe('agent\n');
    } finally {
      stdin.end();
      await other;
    }
  });
});
