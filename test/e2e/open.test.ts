import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runHangar, startServe, type Serving } from './hangar.js';

describe('hangar open', () => {
  let env: NodeJS.ProcessEnv;
  let server: Serving;

  beforeAll(async () => {
    env = isolatedEnv();
    mkdirSync(env.HOME ?? '', { recursive: true });
    server = await startServe(env);
    const token = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
    env = { ...env, HANGAR_SERVER: server.url, HANGAR_TOKEN: token };
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Does what the web app's /login page does with the fragment's code. */
  async function redeem(url: string): Promise<Response> {
    const code = new URLSearchParams(new URL(url).hash.slice(1)).get('code');
    return fetch(`${server.url}/api/v1/login-links/redeem`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
  }

  /** A $BROWSER that records the arguments it was given, then exits with `code`. */
  function fakeBrowser(code = 0): { command: string; argv: () => string[] | undefined } {
    const dir = env.HOME ?? '';
    const out = join(dir, `browser-argv-${code}`);
    const command = join(dir, `fake-browser-${code}`);
    writeFileSync(command, `#!/bin/sh\nprintf '%s\\n' "$@" > '${out}'\nexit ${code}\n`);
    chmodSync(command, 0o755);
    return {
      command,
      argv: () =>
        existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(0, -1) : undefined,
    };
  }

  it('--print prints only a sign-in URL whose code redeems, once, for a working token', async () => {
    const { code, stdout, stderr } = await runHangar(['open', '--print'], env);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const url = stdout.trim();
    expect(url).toMatch(new RegExp(`^${server.url}/login#code=[A-Za-z0-9_-]{43}$`));

    const first = await redeem(url);
    expect(first.status).toBe(200);
    const { token } = (await first.json()) as { token: string };
    const me = await fetch(`${server.url}/api/v1/me`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await me.json()).toMatchObject({ name: 'admin' });

    const again = await redeem(url);
    expect(again.status).toBe(401);
  });

  it('opens at a session, and names a session that does not exist', async () => {
    const missing = await runHangar(['open', 'ses_nope', '--print'], env);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^hangar: No session with id "ses_nope"\./m);
  });

  it('hands the URL to $BROWSER and says so', async () => {
    const browser = fakeBrowser();
    const { code, stdout } = await runHangar(['open'], { ...env, BROWSER: browser.command });
    expect(code).toBe(0);
    const argv = browser.argv();
    expect(argv).toHaveLength(1);
    const url = argv?.[0] ?? '';
    expect(url).toMatch(/\/login#code=/);
    expect(stdout.trim()).toBe(`Opened ${url}`);
    expect((await redeem(url)).status).toBe(200);
  });

  it('prints the URL to open by hand when the browser cannot be started', async () => {
    for (const BROWSER of [join(env.HOME ?? '', 'no-such-browser'), fakeBrowser(3).command]) {
      const { code, stdout, stderr } = await runHangar(['open'], { ...env, BROWSER });
      expect(code).toBe(0);
      expect(stderr).toMatch(/Could not open a browser[\s\S]*Open this link by hand/);
      const url = stdout.trim();
      expect(url).toMatch(/^http:\/\/.*\/login#code=/);
      expect((await redeem(url)).status).toBe(200);
    }
  });
});
