import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_PORT, shOut as sh, withGatewaySandbox } from './gateway-helpers.js';
import { policyFor, type EgressPolicy } from '../../src/gateway/egress-policy.js';
import { createGateway, type Attachment, type Gateway } from '../../src/gateway/gateway.js';
import { modelUpstreamFrom } from '../../src/gateway/model-gateway.js';
import { parsePins } from '../../src/gateway/resolver.js';
import { closeServer, listenLoopback } from '../../src/gateway/test-gateway.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';

// The gateway as a sandbox meets it: a real bubblewrap sandbox whose only way out is
// its gateway socket. Needs root, as the sandbox suite does (.ci/run runs as root).
const REAL_KEY = 'sk-ant-e2e-real-key-never-inside';
const PORT = GATEWAY_PORT;

const modelCalls: IncomingHttpHeaders[] = [];
const web = createServer((req, res) => {
  if (req.url?.startsWith('/v1/')) {
    modelCalls.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end('event: message_stop\ndata: {}\n\n');
    return;
  }
  res.end(`web ok ${req.url ?? ''}\n`);
});

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-gw-sbx-'));
let webPort = 0;
let gateway: Gateway;
let driver: LocalDriver;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This suite runs sandboxes: run it as root.');
  webPort = await listenLoopback(web);
  gateway = createGateway({
    pins: parsePins('web.hangar.test=127.0.0.1'),
    models: {
      anthropic: modelUpstreamFrom({
        ANTHROPIC_BASE_URL: `http://127.0.0.1:${webPort}`,
        ANTHROPIC_API_KEY: REAL_KEY,
      }),
    },
  });
  // The gateway accepts in each sandbox's own network namespace, as `hangar serve` does.
  driver = new LocalDriver({ dataDir, cgroupGroup: `hangar-gw-test-${process.pid}`, gateway });
}, 120_000);

afterAll(async () => {
  await driver.close();
  await gateway.close();
  await closeServer(web);
  rmSync(dataDir, { recursive: true, force: true });
});

function withSandbox(
  policy: EgressPolicy,
  body: (box: Sandbox, attachment: Attachment) => Promise<void>,
): Promise<void> {
  return withGatewaySandbox(gateway, driver, dataDir, { policy }, body);
}

const allowWeb = () =>
  policyFor({ level: 'custom', allowlist: [`web.hangar.test:${webPort}`] }, []);

describe('gateway inside a sandbox', () => {
  it('lets unmodified curl through the proxy to an allowed name, and nowhere else', async () => {
    await withSandbox(allowWeb(), async (box, attachment) => {
      const allowed = await sh(box, `curl -sS http://web.hangar.test:${webPort}/hello`);
      expect(allowed).toEqual({ code: 0, out: 'web ok /hello\n' });
      const denied = await sh(box, `curl -sS -i http://other.hangar.test:${webPort}/`);
      expect(denied.out).toMatch(/403 Forbidden/);
      expect(denied.out).toMatch(/X-Hangar-Deny-Reason: not-allowed/i);
      expect(denied.out).toMatch(
        /Hangar blocked other\.hangar\.test:\d+: other\.hangar\.test is not in this environment's allowlist/,
      );
      const tunnel = await sh(box, `curl -sS https://other.hangar.test/ 2>&1`);
      expect(tunnel.code).not.toBe(0);
      expect(tunnel.out).toMatch(/403/);
      expect(attachment.denials().map((d) => d.host)).toEqual([
        'other.hangar.test',
        'other.hangar.test',
      ]);
    });
  });

  it('has no direct way out: --noproxy, raw sockets and DNS all fail', async () => {
    await withSandbox(policyFor({ level: 'full' }, []), async (box) => {
      const noProxy = await sh(
        box,
        `curl -sS --max-time 5 --noproxy '*' http://127.0.0.1:${webPort}/ 2>&1`,
      );
      expect(noProxy.code).not.toBe(0);
      const named = await sh(
        box,
        `curl -sS --max-time 5 --noproxy '*' http://web.hangar.test:${webPort}/ 2>&1`,
      );
      expect(named.code).not.toBe(0);
      // 192.0.2.1 is a documentation address: nothing answers even if a packet left.
      const raw = await sh(box, `timeout 5 bash -c 'echo > /dev/tcp/192.0.2.1/443' 2>&1`);
      expect(raw.code).not.toBe(0);
      const dns = await sh(
        box,
        `ns=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf); timeout 5 bash -c "echo > /dev/udp/\${ns:-10.0.0.1}/53" 2>&1`,
      );
      expect(dns.code).not.toBe(0);
      // Host loopback services are not the sandbox's loopback.
      const hostLoopback = await sh(
        box,
        `curl -sS --max-time 5 --noproxy '*' http://127.0.0.1:${webPort}/ 2>&1; echo rc=$?`,
      );
      expect(hostLoopback.out).not.toMatch(/web ok/);
    });
  });

  it('accepts a sandbox connection in the gateway itself: no socat serves it', async () => {
    await withSandbox(allowWeb(), async (box) => {
      const through = await sh(box, `curl -sS http://web.hangar.test:${webPort}/direct`);
      expect(through).toEqual({ code: 0, out: 'web ok /direct\n' });
      const seen = await sh(box, 'readlink /proc/self/ns/net; cat /proc/net/tcp');
      const [netns = '', ...tcp] = seen.out.trim().split('\n');
      expect(netns).toMatch(/^net:\[\d+\]$/);
      // The socket listening on 127.0.0.1:3128 in there (state 0A) is one of this
      // process's own fds: the gateway accepts, nothing in between.
      const port = PORT.toString(16).toUpperCase().padStart(4, '0');
      const listening = tcp
        .map((line) => line.trim().split(/\s+/))
        .filter((f) => f[1] === `0100007F:${port}` && f[3] === '0A')
        .map((f) => `socket:[${f[9]}]`);
      expect(listening).toHaveLength(1);
      const ownFds = readdirSync('/proc/self/fd').map((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`);
        } catch {
          return '';
        }
      });
      expect(ownFds).toContain(listening[0]);
      // And no socat (or any process but the sandbox's own) runs in its namespace.
      const inNetns = readdirSync('/proc')
        .filter((pid) => /^\d+$/.test(pid))
        .filter((pid) => {
          try {
            return readlinkSync(`/proc/${pid}/ns/net`) === netns;
          } catch {
            return false;
          }
        })
        .map((pid) => {
          try {
            return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
          } catch {
            return '';
          }
        });
      expect(inNetns.length).toBeGreaterThan(0);
      expect(inNetns).not.toContain('socat');
    });
  });

  it('gives a relay or second proxy hop inside the same verdicts', async () => {
    await withSandbox(allowWeb(), async (box) => {
      const script = [
        `socat TCP-LISTEN:4000,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:${PORT} & relay=$!`,
        'sleep 0.3',
        `curl -sS -x http://127.0.0.1:4000 http://web.hangar.test:${webPort}/via-relay`,
        `curl -sS -i -x http://127.0.0.1:4000 http://other.hangar.test:${webPort}/ | grep -i x-hangar-deny-reason`,
        `curl -sS --noproxy '' -x http://127.0.0.1:4000 http://127.0.0.1:${webPort}/ -i | grep -i x-hangar-deny-reason`,
        'kill $relay',
      ].join('\n');
      const result = await sh(box, script);
      expect(result.out).toContain('web ok /via-relay');
      expect(result.out).toMatch(/X-Hangar-Deny-Reason: not-allowed/i);
      expect(result.out).toMatch(/X-Hangar-Deny-Reason: private-address/i);
    });
  });

  it('refuses everything at none with the reason visible, but the model gateway still works', async () => {
    await withSandbox(policyFor({ level: 'none' }, []), async (box) => {
      const denied = await sh(
        box,
        `curl -sS http://web.hangar.test:${webPort}/ -i; echo "curl: $?"`,
      );
      expect(denied.out, `curl said: ${denied.out}`).toMatch(/X-Hangar-Deny-Reason: network-none/i);
      const model = await sh(
        box,
        'curl -sS -X POST "$ANTHROPIC_BASE_URL/v1/messages?beta=true" -H "x-api-key: $ANTHROPIC_API_KEY" -d "{}"',
      );
      expect(model.out).toContain('message_stop');
      expect(modelCalls.at(-1)?.['x-api-key']).toBe(REAL_KEY);
    });
  });

  it('never shows the real key inside: environment, files or process list', async () => {
    await withSandbox(allowWeb(), async (box) => {
      // A model call runs while we look, so the gateway holds the key meanwhile.
      const look = [
        'curl -sS -X POST "$ANTHROPIC_BASE_URL/v1/messages" -H "x-api-key: $ANTHROPIC_API_KEY" -d "{}" >/dev/null &',
        'env',
        'cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"',
        'cat /proc/*/cmdline 2>/dev/null | tr "\\0" " "',
        'ps aux 2>/dev/null',
        // The pattern goes in base64 so the key itself never sits in a command line here.
        `echo ${Buffer.from(REAL_KEY).toString('base64')} | base64 -d > /tmp/.pattern`,
        'grep -rlsF -f /tmp/.pattern /home /root /tmp /etc /var /run /opt | grep -vx /tmp/.pattern',
        'rm -f /tmp/.pattern',
        'wait',
      ].join('\n');
      for (const user of ['user', 'root'] as const) {
        const output = new PassThrough();
        let out = '';
        output.on('data', (chunk: Buffer) => (out += chunk.toString()));
        await box.exec(['/bin/sh', '-c', look], { user, stdout: output, stderr: output });
        expect(out, user).toContain('ANTHROPIC_API_KEY=hangar-placeholder-key');
        expect(out, user).not.toContain(REAL_KEY);
      }
      expect(modelCalls.at(-1)?.['x-api-key']).toBe(REAL_KEY);
    });
  }, 120_000);
});
