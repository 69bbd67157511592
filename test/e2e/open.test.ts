import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { isolatedEnv, runHangar, startServe, type Serving } from './hangar.js';

describe('hangar open', () => {
  let env: NodeJS.ProcessEnv;
  let server: Serving;

  beforeAll(async () => {
    env = isolatedEnv();
    const home = env.HOME ?? '';
    mkdirSync(home, { recursive: true });
    // An agents dir that cannot be made: sessions fail at once instead of installing one.
    writeFileSync(join(home, 'not-a-dir'), '');
    env.HANGAR_AGENTS_DIR = join(home, 'not-a-dir', 'agents');
    // A key, so sessions are accepted (none reaches the model: they fail before).
    env.ANTHROPIC_API_KEY = 'sk-ant-unused';
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

  it('is named by the banner of hangar serve', () => {
    expect(server.output().stderr).toContain(
      `Web app: ${server.url} (\`hangar open\` opens it signed in)`,
    );
  });

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

  it("the link's page is the web app, served by hangar serve itself", async () => {
    const { stdout } = await runHangar(['open', '--print'], env);
    const res = await fetch(stdout.trim());
    // The built web app (scripts/setup builds it), which reads the code from the fragment.
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<div id="root"></div>');
    expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  });

  /** A session on a one-commit bundle; it fails (no agent) but is there to open. */
  async function createSession(): Promise<string> {
    const bytes = oneCommitBundle(join(env.HOME ?? '', 'repo'));
    const headers = { authorization: `Bearer ${env.HANGAR_TOKEN ?? ''}` };
    const bundle = (await (
      await fetch(`${server.url}/api/v1/bundles`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: bytes,
      })
    ).json()) as { id: string };
    const session = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'open me', source: { type: 'bundle', bundleId: bundle.id } }),
    });
    expect(session.status).toBe(201);
    return ((await session.json()) as { id: string }).id;
  }

  it('opens at a session, and names a session that does not exist', async () => {
    const id = await createSession();
    const at = await runHangar(['open', id, '--print'], env);
    expect(at.code).toBe(0);
    const url = new URL(at.stdout.trim());
    expect(url.pathname).toBe('/login');
    expect(new URLSearchParams(url.hash.slice(1)).get('next')).toBe(`/sessions/${id}`);
    expect((await redeem(url.href)).status).toBe(200);

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
