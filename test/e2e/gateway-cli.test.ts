import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeServer, listenLoopback } from '../../src/gateway/test-gateway.js';
import { isolatedEnv, runHangar } from './hangar.js';

// `hangar sandbox run` with its in-process gateway: the network flags from a terminal.
const web = createServer((req, res) => res.end(`web ok ${req.url ?? ''}\n`));
let port = 0;
let env: NodeJS.ProcessEnv = {};

beforeAll(async () => {
  port = await listenLoopback(web);
  env = isolatedEnv({ HANGAR_EGRESS_RESOLVE: 'web.hangar.test=127.0.0.1' });
});

afterAll(() => closeServer(web));

describe('hangar sandbox run --network/--allow', () => {
  it('reaches an allowed, operator-pinned name through the proxy', async () => {
    const result = await runHangar(
      [
        'sandbox',
        'run',
        '--allow',
        `web.hangar.test:${port}`,
        '--',
        'curl',
        '-sS',
        `http://web.hangar.test:${port}/hi`,
      ],
      env,
    );
    expect(result).toMatchObject({ code: 0, stdout: 'web ok /hi\n' });
    expect(result.stderr).not.toMatch(/blocked/);
  });

  it('refuses at --network none and sums up what it blocked on stderr', async () => {
    const result = await runHangar(
      [
        'sandbox',
        'run',
        '--network',
        'none',
        '--',
        'sh',
        '-c',
        `curl -sS -i http://web.hangar.test:${port}/; curl -sS https://web.hangar.test/`,
      ],
      env,
    );
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/X-Hangar-Deny-Reason: network-none/i);
    expect(result.stderr).toContain('Hangar blocked 2 network request(s):');
    expect(result.stderr).toMatch(/web\.hangar\.test:\d+ {2}1× {2}network-none/);
    expect(result.stderr).toMatch(/web\.hangar\.test:443 {2}1× {2}network-none/);
  });

  it('names a bad flag before anything starts', async () => {
    const level = await runHangar(['sandbox', 'run', '--network', 'most', '--', 'true'], env);
    expect(level).toMatchObject({ code: 1 });
    expect(level.stderr).toContain('--network: "most" is not one of none, trusted, full, custom');
    const pattern = await runHangar(['sandbox', 'run', '--allow', '*.com', '--', 'true'], env);
    expect(pattern.stderr).toContain('--allow: "*.com" puts a wildcard over the public suffix');
    const pins = await runHangar(['sandbox', 'run', '--', 'true'], {
      ...env,
      HANGAR_EGRESS_RESOLVE: 'nope',
    });
    expect(pins.stderr).toContain('HANGAR_EGRESS_RESOLVE: "nope" is not name=ip');
  });
});
