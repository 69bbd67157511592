// Attack class: a file descriptor the host process holds reaching a sandbox. Whatever
// starts `hangar` (a shell, a supervisor, a CI runner) may leave descriptors open
// without close-on-exec; every process Hangar spawns would inherit them, and so would
// each sandboxed command through the host chain (sh → nsenter → bwrap), which closes
// only the namespace descriptors it was handed. A sandbox must see none of them.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HANGAR_BIN, isolatedEnv } from '../e2e/hangar.js';
import { requireSandboxHost } from '../e2e/sandbox-helpers.js';

requireSandboxHost();

/**
 * Runs `hangar ARGS…` as a careless parent would: a shell that left fd 200 open on a
 * host file (appending, no close-on-exec) before it became hangar.
 */
function runHoldingFd(file: string, args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn('bash', ['-c', 'exec 200>>"$0"; exec "$@"', file, HANGAR_BIN, ...args], {
    env: isolatedEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('descriptors hangar inherited', () => {
  it('do not reach a sandboxed command, as user or as root', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hangar-attack-fds-')), 'host-file');
    writeFileSync(file, '');
    for (const root of [false, true]) {
      const { code, out } = await runHoldingFd(file, [
        'sandbox',
        'run',
        ...(root ? ['--root'] : []),
        '--',
        'sh',
        '-c',
        // List what the shell holds, then write through every descriptor past stdio.
        'ls /proc/self/fd | sort -n | tr "\\n" " "; echo; ' +
          'for fd in $(ls /proc/self/fd); do [ "$fd" -gt 2 ] && echo escaped >> /proc/self/fd/$fd; done 2>/dev/null; true',
      ]);
      expect(code, out).toBe(0);
      const fds = (out.split('\n')[0] ?? '').trim().split(' ').map(Number);
      // 0–2 and the one `ls` opens to read the directory.
      expect(fds, out).toEqual([0, 1, 2, 3]);
    }
    expect(readFileSync(file, 'utf8'), 'the sandbox wrote into a host file').toBe('');
  });
});
