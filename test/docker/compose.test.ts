import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeBaseImage } from './base-image.js';

/**
 * deploy/compose.yaml's runner service as docker-compose 1.29 (Debian's) starts it, from
 * the image the Dockerfile builds: what the service is given (capabilities, loop
 * devices, the cgroup tree, no seccomp profile) is enough for a real local sandbox. The
 * base image is made here (nothing can be pulled); built layers stay in the engine's
 * data root, so a second run rebuilds only what changed.
 */

const ROOT = join(import.meta.dirname, '../..');
const HANGAR_IMAGE = 'hangar-test/hangar:compose';
const run = promisify(execFile);

describe('deploy/compose.yaml', { tags: ['slow'], timeout: 45 * 60_000 }, () => {
  let dir = '';

  const compose = async (...args: string[]) =>
    (
      await run(
        'docker-compose',
        // The project directory holds the env files an operator writes next to compose.yaml.
        ['--project-directory', dir, '-f', join(ROOT, 'deploy/compose.yaml'), ...args],
        { env: { ...process.env, HANGAR_IMAGE }, maxBuffer: 64 * 1024 * 1024 },
      )
    ).stdout;

  beforeAll(async () => {
    const base = ensureNodeBaseImage();
    // With the host's network: apt and npm inside the build reach their mirrors.
    await run(
      'docker',
      [
        'build',
        '--network',
        'host',
        '-q',
        '-t',
        HANGAR_IMAGE,
        '--build-arg',
        `NODE_IMAGE=${base}`,
        ROOT,
      ],
      { env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 64 * 1024 * 1024 },
    );
    dir = mkdtempSync(join(tmpdir(), 'hangar-compose-'));
    writeFileSync(join(dir, 'postgres.env'), 'POSTGRES_PASSWORD=unused\n');
    writeFileSync(
      join(dir, 'hangar.env'),
      'DATABASE_URL=postgres://hangar:unused@postgres/hangar\n',
    );
  });

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('is a valid file for docker-compose 1.29', async () => {
    const config = await compose('config', '--services');
    expect(config.split('\n').filter(Boolean).sort()).toEqual(['api', 'postgres', 'runner']);
  });

  it('gives the runner what a sandbox needs: one starts, with the disk limit and no capabilities', async () => {
    const out = await compose(
      'run',
      '--rm',
      '--no-deps',
      '-T',
      'runner',
      'sandbox',
      'run',
      '--disk',
      '64M',
      '--',
      'sh',
      '-c',
      'echo "inside as $(id -un)"; grep CapEff /proc/self/status; df -k /home/user | tail -n 1',
    );
    expect(out).toContain('inside as user');
    expect(out).toMatch(/CapEff:\s+0+\n/);
    // The sandbox's own ext4 disk on a loop device: about the 64M asked for.
    const size = Number(/\s(\d+)\s+\d+\s+\d+\s+\d+%/.exec(out)?.[1]);
    expect(size).toBeGreaterThan(40_000);
    expect(size).toBeLessThan(70_000);
  });
});
