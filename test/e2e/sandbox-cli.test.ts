// `hangar sandbox run|list|rm` as a user runs them: the built binary, a fresh data dir.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_UID_RANGE } from '../../src/sandbox/uid-range.js';
import { HANGAR_BIN, isolatedEnv, runHangar } from './hangar.js';
import { requireSandboxHost } from './sandbox-helpers.js';

requireSandboxHost();
const env = isolatedEnv();
const dataDir = env.HANGAR_DATA_DIR ?? '';
const sandboxes = () => readdirSync(join(dataDir, 'sandboxes')).filter((n) => n.startsWith('sbx_'));

describe('hangar sandbox run', () => {
  it('prints the sandbox’s own uid for `id -u`, and leaves no sandbox behind', async () => {
    expect(existsSync(HANGAR_BIN), 'run `npm run build` first').toBe(true);
    const result = await runHangar(['sandbox', 'run', '--', 'id', '-u'], env);
    expect(result.code).toBe(0);
    expect(Number(result.stdout)).toBeGreaterThanOrEqual(DEFAULT_UID_RANGE.first);
    expect(Number(result.stdout)).toBeLessThanOrEqual(DEFAULT_UID_RANGE.last);
    expect(sandboxes()).toEqual([]);
  });

  it('streams both outputs and exits with the command’s code', async () => {
    const result = await runHangar(
      ['sandbox', 'run', '--', 'sh', '-c', 'echo out; echo err >&2; exit 7'],
      env,
    );
    expect(result.code).toBe(7);
    expect(result.stdout).toBe('out\n');
    expect(result.stderr).toContain('err\n');
  });

  it('runs as root with --root, and feeds stdin through', async () => {
    expect((await runHangar(['sandbox', 'run', '--root', '--', 'id', '-u'], env)).stdout).toBe(
      '0\n',
    );
    expect((await runHangar(['sandbox', 'run', '--', 'cat'], env, 'piped')).stdout).toBe('piped');
  });

  it('applies the limits it is given', async () => {
    const result = await runHangar(
      [
        'sandbox',
        'run',
        '--pids',
        '16',
        '--disk',
        '32M',
        '--',
        'sh',
        '-c',
        'for i in $(seq 40); do sleep 3 & done 2>&1 | head -1; dd if=/dev/zero of=big bs=1M count=64 2>&1',
      ],
      env,
    );
    expect(result.stdout).toMatch(/fork|Resource temporarily unavailable/i);
    expect(result.stdout).toMatch(/No space left on device/);
  });

  it('refuses a bad flag value clearly, before anything starts', async () => {
    const fresh = isolatedEnv();
    const result = await runHangar(['sandbox', 'run', '--memory', 'lots', '--', 'true'], fresh);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^hangar: --memory: "lots" is not a size/);
    expect(existsSync(join(fresh.HANGAR_DATA_DIR ?? '', 'sandboxes'))).toBe(false);

    const tooMany = await runHangar(['sandbox', 'run', '--cpus', '999', '--', 'true'], env);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/^hangar: --cpus: 999 is more than this host's [0-9]+ CPUs/);
  });

  it('keeps the sandbox with --keep; list shows it and rm removes it', async () => {
    const kept = await runHangar(
      ['sandbox', 'run', '--keep', '--', 'sh', '-c', 'echo data > ~/file'],
      env,
    );
    expect(kept.code).toBe(0);
    const id = kept.stdout.trim();
    expect(id).toMatch(/^sbx_[0-9a-z]{26}$/);
    const list = await runHangar(['sandbox', 'list'], env);
    expect(list.stdout).toMatch(new RegExp(`^${id}\\s+stopped\\s`, 'm'));
    expect(await runHangar(['sandbox', 'rm', id], env)).toMatchObject({ code: 0 });
    expect(sandboxes()).toEqual([]);
    const again = await runHangar(['sandbox', 'rm', id], env);
    expect(again.stderr).toMatch(/^hangar: No sandbox with id/);
  });
});
