import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_PORT, shOut as sh, withGatewaySandbox } from '../e2e/gateway-helpers.js';
import { bashCall, say, startModelServer, type ModelServer } from '../../fixtures/model-server.js';
import { startGitHost, type GitHost } from '../e2e/git-host.js';
import { commit, git, Stack, type EventJson } from '../e2e/stack.js';
import { policyFor, type EgressPolicy } from '../../src/gateway/egress-policy.js';
import type { Denial } from '../../src/gateway/egress-proxy.js';
import {
  createGateway,
  type AttachOptions,
  type Attachment,
  type Gateway,
} from '../../src/gateway/gateway.js';
import { OPENAI_API } from '../../src/gateway/model-apis.js';
import { modelUpstreamFrom } from '../../src/gateway/model-gateway.js';
import { parseGitHosts, parsePins } from '../../src/gateway/resolver.js';
import { sessionModelUsage, storeModelMeter } from '../../src/store/model-usage.js';
import { openTestStore } from '../../src/store/test-store.js';
import { createUser } from '../../src/store/users.js';
import { closeServer, listenLoopback } from '../../src/gateway/test-gateway.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';

// Attacks on the gateway's own routes, made from inside real bubblewrap sandboxes
// against a real gateway. Needs root, as every sandbox suite does.
const PORT = GATEWAY_PORT;
const fixtures = new URL('../../fixtures/gateway/', import.meta.url).pathname;

/** An HTTPS site for tls.hangar.test; counts the TLS sessions it completed. */
let handshakes = 0;
const site = createHttpsServer(
  {
    cert: readFileSync(join(fixtures, 'tls-cert.pem')),
    key: readFileSync(join(fixtures, 'tls-key.pem')),
  },
  (_req, res) => res.end('tls ok\n'),
);
site.on('secureConnection', () => (handshakes += 1));

/** A plain TCP service that answers what it is sent. */
const echo = createTcpServer((socket) => socket.pipe(socket));

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-attack-gw-'));
const denied: { sandboxId: string; denial: Denial }[] = [];
let sitePort = 0;
let echoPort = 0;
let gateway: Gateway;
let driver: LocalDriver;
let model: ModelServer;
const REAL_KEY = 'sk-ant-attack-test-real-key';
const REAL_OPENAI_KEY = 'sk-openai-attack-test-real-key';

/** Two repos on a git host on loopback (a private address), and what it was asked. */
let repo: string;
let app: GitHost;
let other: GitHost;
const gitRequests: string[] = [];
/** A git host that redirects every request to the private one. */
let redirectPort = 0;
const redirector = createHttpServer((req: IncomingMessage, res) => {
  const port = new URL(app.url).port;
  res.writeHead(302, { location: `http://127.0.0.1:${port}${req.url ?? '/'}` });
  res.end();
});

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This suite runs sandboxes: run it as root.');
  sitePort = await listenLoopback(site);
  echoPort = await listenLoopback(echo);
  model = await startModelServer({ script: { replies: [] } });
  repo = makeRepo('app');
  app = await startGitHost(repo, 'app');
  other = await startGitHost(makeRepo('other'), 'other');
  for (const host of [app, other]) {
    host.server.on('request', (req: IncomingMessage) => gitRequests.push(req.url ?? ''));
  }
  redirectPort = await listenLoopback(redirector);
  gateway = createGateway({
    gitHosts: parseGitHosts(`http://localhost:${new URL(other.url).port}`),
    models: {
      anthropic: modelUpstreamFrom({ ANTHROPIC_BASE_URL: model.url, ANTHROPIC_API_KEY: REAL_KEY }),
      openai: modelUpstreamFrom(
        { OPENAI_BASE_URL: `${model.url}/v1`, OPENAI_API_KEY: REAL_OPENAI_KEY },
        OPENAI_API,
      ),
    },
    pins: parsePins(
      'tls.hangar.test=127.0.0.1,other.hangar.test=127.0.0.1,echo.hangar.test=127.0.0.1,git.hangar.test=127.0.0.1,redirect.hangar.test=127.0.0.1',
    ),
    onDenial: (sandboxId, denial) => denied.push({ sandboxId, denial }),
  });
  // The gateway accepts in each sandbox's own network namespace, as `hangar serve` does.
  driver = new LocalDriver({ dataDir, cgroupGroup: `hangar-attack-gw-${process.pid}`, gateway });
}, 120_000);

afterAll(async () => {
  await driver.close();
  await gateway.close();
  await closeServer(site);
  await closeServer(echo);
  await model.close();
  app.close();
  other.close();
  await closeServer(redirector);
  rmSync(dataDir, { recursive: true, force: true });
});

function withSandbox(
  options: Omit<AttachOptions, 'socketPath'>,
  body: (box: Sandbox, attachment: Attachment) => Promise<void>,
): Promise<void> {
  return withGatewaySandbox(gateway, driver, dataDir, options, body);
}

describe('egress: a CONNECT tunnel carries TLS for its own host only', () => {
  const policy = (): EgressPolicy =>
    policyFor({ level: 'custom', allowlist: [`tls.hangar.test:${sitePort}`] }, []);

  it('closes a tunnel to an allowed host whose ClientHello names another (domain fronting)', async () => {
    await withSandbox({ policy: policy() }, async (box, attachment) => {
      // The control: TLS for the CONNECT host itself goes through.
      const own = await sh(box, `curl -sS -k https://tls.hangar.test:${sitePort}/`);
      expect(own).toEqual({ code: 0, out: 'tls ok\n' });
      const before = handshakes;

      // curl sends CONNECT tls.hangar.test (allowed), then a ClientHello for other.hangar.test.
      const fronted = await sh(
        box,
        `curl -sS -k --connect-to other.hangar.test:${sitePort}:tls.hangar.test:${sitePort} https://other.hangar.test:${sitePort}/ 2>&1`,
      );
      expect(fronted.code).not.toBe(0);
      expect(fronted.out).not.toContain('tls ok');
      // No SNI at all, to a name: the front end would pick the site; closed too.
      const bare = await sh(
        box,
        `echo | timeout 20 openssl s_client -quiet -proxy 127.0.0.1:${PORT} -connect tls.hangar.test:${sitePort} -noservername 2>&1`,
      );
      expect(bare.out).not.toMatch(/verify return|CONNECTED.*\n.*depth/);
      expect(handshakes).toBe(before);

      const codes = attachment.denials().map((d) => [d.host, d.code]);
      expect(codes).toEqual([
        ['tls.hangar.test', 'sni-mismatch'],
        ['tls.hangar.test', 'sni-missing'],
      ]);
      expect(attachment.denials()[0]?.reason).toMatch(
        /the TLS ClientHello names other\.hangar\.test, not tls\.hangar\.test/,
      );
      // The same record reaches the server's network.blocked path (onDenial).
      expect(
        denied.filter((d) => d.sandboxId === attachment.sandboxId).map((d) => d.denial.code),
      ).toEqual(['sni-mismatch', 'sni-missing']);
    });
  }, 120_000);

  it('still passes a tunnel that carries no TLS at all on an allowed port', async () => {
    const policy = policyFor({ level: 'custom', allowlist: [`echo.hangar.test:${echoPort}`] }, []);
    await withSandbox({ policy }, async (box, attachment) => {
      const plain = await sh(
        box,
        `echo plain-bytes | timeout 20 socat -t 5 - PROXY:127.0.0.1:echo.hangar.test:${echoPort},proxyport=${PORT} 2>&1`,
      );
      expect(plain.out).toContain('plain-bytes');
      expect(attachment.denials()).toEqual([]);
    });
  }, 120_000);
});

describe('model gateway: only what an agent needs reaches the model API', () => {
  it("refuses the files, batches and organization routes with 403 in Anthropic's error shape", async () => {
    await withSandbox({ policy: policyFor({ level: 'none' }, []) }, async (box) => {
      const before = model.requests.length;
      const script = [
        ['GET', '/v1/files'],
        ['POST', '/v1/files'],
        ['GET', '/v1/organizations/me'],
        ['GET', '/v1/organizations/api_keys'],
        ['POST', '/v1/messages/batches'],
      ]
        .map(
          ([method, path]) =>
            `curl -sS -X ${method} -H "x-api-key: $ANTHROPIC_API_KEY" -w ' %{http_code}\\n' "$ANTHROPIC_BASE_URL${path}"`,
        )
        .join('\n');
      const { out } = await sh(box, script);
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(5);
      for (const line of lines) {
        expect(line).toMatch(/ 403$/);
        const body = JSON.parse(line.replace(/ 403$/, '')) as { error: { type: string } };
        expect(body).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
      }
      // Not one of them reached the model API with the server's key.
      expect(model.requests.slice(before)).toEqual([]);
      // What the agent needs still goes through.
      const needed = await sh(
        box,
        'curl -sS -o /dev/null -w "%{http_code}" -I "$ANTHROPIC_BASE_URL/api/hello"',
      );
      expect(needed.out).toBe('200');
      expect(model.requests.at(-1)?.headers['x-api-key']).toBe(REAL_KEY);
    });
  }, 120_000);
});

describe('model gateway: the OpenAI key stays on the host', () => {
  it("refuses OpenAI's files, batches, fine-tuning and admin routes, and hides the key from the sandbox", async () => {
    await withSandbox({ policy: policyFor({ level: 'none' }, []) }, async (box) => {
      const before = model.requests.length;
      const script = [
        ['GET', '/files'],
        ['POST', '/files'],
        ['POST', '/batches'],
        ['POST', '/fine_tuning/jobs'],
        ['GET', '/organization/admin_api_keys'],
        ['POST', '/chat/completions'],
        ['POST', '/responses/../files'],
      ]
        .map(
          ([method, path]) =>
            `curl -sS --path-as-is -X ${method} -H "authorization: Bearer $OPENAI_API_KEY" -w ' %{http_code}\\n' "$OPENAI_BASE_URL${path}"`,
        )
        .join('\n');
      const { out } = await sh(box, script);
      const lines = out.trim().split('\n');
      expect(lines).toHaveLength(7);
      for (const line of lines) {
        expect(line).toMatch(/ 403$/);
        const body = JSON.parse(line.replace(/ 403$/, '')) as { error: { type: string } };
        expect(body).toMatchObject({ error: { type: 'permission_error' } });
      }
      expect(model.requests.slice(before)).toEqual([]);

      // The sandbox holds a placeholder, in its environment and in every process's.
      const half = Math.floor(REAL_OPENAI_KEY.length / 2);
      const hunt = await sh(
        box,
        [
          `a='${REAL_OPENAI_KEY.slice(0, half)}'; b='${REAL_OPENAI_KEY.slice(half)}'; k="$a$b"`,
          'echo "$OPENAI_API_KEY"',
          '{ env; cat /proc/*/environ /proc/*/cmdline 2>/dev/null | tr "\\0" "\\n"; } | grep -cF -f /dev/fd/3 3<<EOF || true',
          '$k',
          'EOF',
        ].join('\n'),
      );
      expect(hunt.out.trim().split('\n')).toEqual(['hangar-placeholder-key', '0']);

      // A generation goes through, with the real key as the bearer token, upstream only.
      const generation = await sh(
        box,
        `curl -sS -o /dev/null -w "%{http_code}" -H "authorization: Bearer sk-mine" -H "content-type: application/json" -d '{"model":"m","input":"hi"}' "$OPENAI_BASE_URL/responses"`,
      );
      expect(generation.out).toBe('200');
      expect(model.requests.at(-1)).toMatchObject({ path: '/v1/responses' });
      expect(model.requests.at(-1)?.headers.authorization).toBe(`Bearer ${REAL_OPENAI_KEY}`);
    });
  }, 120_000);
});

function makeRepo(name: string): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hangar-attack-repo-')), name);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, 'README.md'), `# ${name}\n`);
  git(dir, 'add', '.');
  commit(dir, `first of ${name}`);
  return dir;
}

/** A repo URL at another host name (same port and path). */
const at = (host: GitHost, name: string) => {
  const url = new URL(host.url);
  url.hostname = name;
  return url.href;
};

describe('git proxy: dials only what it checked, as the egress proxy does', () => {
  const none = () => policyFor({ level: 'none' }, []);
  const proxied = (key: string) => `http://127.0.0.1:${PORT}/git/${key}.git`;
  const keyOf = (url: string) => url.replace(/^http:\/\//, '').replace(/\.git$/, '');

  it('refuses an upstream whose name resolves to loopback, unless the operator pinned or configured it', async () => {
    const byName = at(app, 'localhost');
    const pinned = at(app, 'git.hangar.test');
    const configured = at(other, 'localhost');
    const repos = {
      [keyOf(byName)]: { url: byName },
      [keyOf(pinned)]: { url: pinned },
    };
    await withSandbox({ policy: none(), repos }, async (box) => {
      const before = gitRequests.length;
      const refused = await sh(box, `git ls-remote ${proxied(keyOf(byName))} 2>&1`);
      expect(refused.code).not.toBe(0);
      expect(refused.out).toMatch(/403/);
      expect(gitRequests.length).toBe(before);
      const status = await sh(
        box,
        `curl -sS "${proxied(keyOf(byName))}/info/refs?service=git-upload-pack"`,
      );
      expect(status.out).toMatch(
        /localhost resolves to the loopback address .* HANGAR_GIT_HOSTS=http:\/\/localhost:\d+/,
      );
      // The operator's pin makes the same loopback host reachable by that name.
      const ok = await sh(box, `git ls-remote ${proxied(keyOf(pinned))} 2>&1`);
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(/refs\/heads\/main/);
    });
    // So does listing the host in HANGAR_GIT_HOSTS.
    await withSandbox(
      { policy: none(), repos: { [keyOf(configured)]: { url: configured } } },
      async (box) => {
        const ok = await sh(box, `git ls-remote ${proxied(keyOf(configured))} 2>&1`);
        expect(ok.code, ok.out).toBe(0);
      },
    );
  }, 120_000);

  it('does not follow or pass on a redirect to a private address', async () => {
    const url = `http://redirect.hangar.test:${redirectPort}/acme/app.git`;
    await withSandbox({ policy: none(), repos: { [keyOf(url)]: { url } } }, async (box) => {
      const before = gitRequests.length;
      const answer = await sh(
        box,
        `curl -sS -w ' %{http_code}' "${proxied(keyOf(url))}/info/refs?service=git-upload-pack"`,
      );
      expect(answer.out).toMatch(/Hangar does not follow redirects[^\n]*\n 502$/);
      const cloned = await sh(box, `git clone -q ${proxied(keyOf(url))} /tmp/x 2>&1`);
      expect(cloned.code).not.toBe(0);
      expect(gitRequests.length).toBe(before);
    });
  }, 120_000);

  it("keeps each attachment's upstreams its own: another attachment of the same repo key neither replaces nor removes them", async () => {
    const key = 'git.hangar.test/acme/shared';
    await withSandbox(
      { policy: none(), repos: { [key]: { url: at(app, 'git.hangar.test') } } },
      async (boxA) => {
        const list = () => sh(boxA, `git ls-remote ${proxied(key)} refs/heads/main 2>&1`);
        const appHead = git(repo, 'rev-parse', 'HEAD');
        expect((await list()).out).toContain(appHead);
        // B attaches the same key to another upstream, uses it, and goes away.
        await withSandbox(
          { policy: none(), repos: { [key]: { url: at(other, 'git.hangar.test') } } },
          async (boxB) => {
            const seen = await sh(boxB, `git ls-remote ${proxied(key)} refs/heads/main 2>&1`);
            expect(seen.out).not.toContain(appHead);
            expect((await list()).out).toContain(appHead);
          },
        );
        const after = await list();
        expect(after.code, after.out).toBe(0);
        expect(after.out).toContain(appHead);
      },
    );
  }, 120_000);
});

describe('sessions on the real server: git sources and shared repos', { timeout: 300_000 }, () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await Stack.start(model, {
      HANGAR_EGRESS_RESOLVE: 'git.hangar.test=127.0.0.1,redirect.hangar.test=127.0.0.1',
    });
  }, 600_000);

  afterAll(async () => {
    await stack.server.stop();
  });

  it('refuses a source whose host is private, or that redirects, before git follows it', async () => {
    const before = gitRequests.length;
    for (const url of [
      at(app, 'localhost'),
      `http://redirect.hangar.test:${redirectPort}/acme/app.git`,
    ]) {
      const res = await stack.api<{ error: { message: string } }>('POST', '/sessions', {
        prompt: 'x',
        source: { type: 'git', url },
      });
      expect(res.status, url).toBe(400);
      expect(res.json.error.message).toMatch(/^source\.url: cannot read/);
    }
    expect(gitRequests.length).toBe(before);
  });

  it("deleting one user's session does not cut another session off the same repo", async () => {
    const url = at(app, 'git.hangar.test');
    model.setScript({
      replies: [
        { content: [bashCall('git ls-remote -q origin >/dev/null; echo "a $?"')] },
        say('A'),
      ],
    });
    const a = await stack.api<{ id: string }>('POST', '/sessions', {
      prompt: 'a',
      source: { type: 'git', url },
    });
    expect(a.status).toBe(201);
    await stack.waitForTurns(a.json.id, 1);

    // Another user starts a session on the same repository, then deletes it.
    const user = await stack.api<{ token: string }>('POST', '/users', { name: 'mallory' });
    expect(user.status).toBe(201);
    const mallory = new Stack(model, stack.env);
    mallory.server = stack.server;
    mallory.token = user.json.token;
    model.setScript({ replies: [say('B')] });
    const b = await mallory.api<{ id: string }>('POST', '/sessions', {
      prompt: 'b',
      source: { type: 'git', url },
    });
    expect(b.status).toBe(201);
    await mallory.waitForTurns(b.json.id, 1);
    expect((await mallory.api('DELETE', `/sessions/${b.json.id}`)).status).toBe(200);

    model.setScript({
      replies: [
        {
          content: [
            bashCall(
              'git fetch -q origin 2>&1; echo "fetch $?"; git push -q origin HEAD 2>&1; echo "push $?"',
            ),
          ],
        },
        say('done'),
      ],
    });
    const sent = await stack.api('POST', `/sessions/${a.json.id}/messages`, { text: 'push' });
    expect(sent.status).toBe(202);
    const events: EventJson[] = await stack.waitForTurns(a.json.id, 2);
    const output = events.filter((e) => e.type === 'tool.result').at(-1)?.data.output ?? '';
    expect(output).toContain('fetch 0');
    expect(output).toContain('push 0');

    // What the gateway counted for the session is shown to its user, with the limits.
    const usage = await stack.api<{
      session: { requests: number; inputTokens: number; outputTokens: number };
      userToday: { requests: number };
      limits: { requestsPerSession: number | null };
    }>('GET', `/sessions/${a.json.id}/usage`);
    expect(usage.status).toBe(200);
    expect(usage.json.session.requests).toBeGreaterThanOrEqual(4);
    expect(usage.json.session.inputTokens).toBeGreaterThan(0);
    expect(usage.json.session.outputTokens).toBeGreaterThan(0);
    expect(usage.json.userToday.requests).toBeGreaterThanOrEqual(usage.json.session.requests);
    expect(usage.json.limits.requestsPerSession).toBe(5000);
    // Another user cannot read it.
    expect((await mallory.api('GET', `/sessions/${a.json.id}/usage`)).status).toBe(404);
  });
});

describe('model gateway: requests and tokens are counted and limited', () => {
  const post = `curl -sS -X POST -H 'content-type: application/json' -H "x-api-key: $ANTHROPIC_API_KEY" -w ' %{http_code}' "$ANTHROPIC_BASE_URL/v1/messages" -d '{"model":"claude-test","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}'`;

  it("answers 429 in Anthropic's error shape past a limit, naming it, and never forwards that request", async () => {
    const store = await openTestStore();
    try {
      const user = await createUser(store.db, { name: 'ada', isAdmin: false });
      const perSession = storeModelMeter(
        store.db,
        { sessionId: 'ses_limited', userId: user.id },
        { requestsPerSession: 2, tokensPerUserPerDay: undefined },
      );
      await withSandbox(
        { policy: policyFor({ level: 'none' }, []), meter: perSession },
        async (box) => {
          for (let n = 1; n <= 2; n += 1) {
            const ok = await sh(box, post);
            expect(ok.out).toMatch(/message_stop[\s\S]* 200$/);
            // Usage is written as the response ends: wait for it before the next request.
            while ((await sessionModelUsage(store.db, 'ses_limited')).requests < n) {
              await new Promise((resolve) => setTimeout(resolve, 20));
            }
          }
          const usage = await sessionModelUsage(store.db, 'ses_limited');
          expect(usage.inputTokens).toBeGreaterThan(0);
          expect(usage.outputTokens).toBeGreaterThan(0);
          const before = model.requests.length;
          const refused = await sh(box, post.replace('-sS', '-sS -i'));
          expect(refused.out).toMatch(/^HTTP\/1\.1 429/);
          expect(refused.out).toMatch(/x-hangar-limit: HANGAR_MAX_MODEL_REQUESTS_PER_SESSION/i);
          const body = /\{.*\}/.exec(refused.out)?.[0] ?? '';
          expect(JSON.parse(body)).toMatchObject({
            type: 'error',
            error: {
              type: 'rate_limit_error',
              message: expect.stringMatching(/HANGAR_MAX_MODEL_REQUESTS_PER_SESSION=2/) as unknown,
            },
          });
          expect(model.requests.length).toBe(before);
        },
      );

      // The user's daily tokens count over all their sessions, this one's included.
      const perDay = storeModelMeter(
        store.db,
        { sessionId: 'ses_other', userId: user.id },
        { requestsPerSession: undefined, tokensPerUserPerDay: 1 },
      );
      await withSandbox(
        { policy: policyFor({ level: 'none' }, []), meter: perDay },
        async (box) => {
          const refused = await sh(box, post);
          expect(refused.out).toMatch(/HANGAR_MAX_MODEL_TOKENS_PER_USER_PER_DAY=1.* 429$/);
        },
      );
    } finally {
      await store.close();
    }
  }, 120_000);
});
