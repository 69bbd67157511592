import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFor, type EgressPolicy } from '../../src/gateway/egress-policy.js';
import type { Denial } from '../../src/gateway/egress-proxy.js';
import {
  createGateway,
  type AttachOptions,
  type Attachment,
  type Gateway,
} from '../../src/gateway/gateway.js';
import { parsePins } from '../../src/gateway/resolver.js';
import { sandboxEnv } from '../../src/gateway/sandbox-env.js';
import { closeServer, listenLoopback } from '../../src/gateway/test-gateway.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';

// Attacks on the gateway's own routes, made from inside real bubblewrap sandboxes
// against a real gateway. Needs root, as every sandbox suite does.
const PORT = 3128;
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

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This suite runs sandboxes: run it as root.');
  sitePort = await listenLoopback(site);
  echoPort = await listenLoopback(echo);
  gateway = createGateway({
    pins: parsePins(
      'tls.hangar.test=127.0.0.1,other.hangar.test=127.0.0.1,echo.hangar.test=127.0.0.1',
    ),
    onDenial: (sandboxId, denial) => denied.push({ sandboxId, denial }),
  });
  driver = new LocalDriver({ dataDir, cgroupGroup: `hangar-attack-gw-${process.pid}` });
}, 120_000);

afterAll(async () => {
  await gateway.close();
  await closeServer(site);
  await closeServer(echo);
  rmSync(dataDir, { recursive: true, force: true });
});

async function withSandbox(
  options: Omit<AttachOptions, 'socketPath'>,
  body: (box: Sandbox, attachment: Attachment) => Promise<void>,
): Promise<void> {
  const id = `atk-${Math.random().toString(36).slice(2, 10)}`;
  const socketPath = join(dataDir, `${id}.sock`);
  const attachment = await gateway.attach(id, { socketPath, ...options });
  const box = await driver.create({
    gatewaySocket: socketPath,
    gatewayPort: PORT,
    env: sandboxEnv(`127.0.0.1:${PORT}`),
  });
  try {
    await body(box, attachment);
  } finally {
    await box.destroy();
    await attachment.detach();
  }
}

async function sh(box: Sandbox, script: string): Promise<{ code: number; out: string }> {
  const output = new PassThrough();
  let out = '';
  output.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const result = await box.exec(['/bin/sh', '-c', script], { stdout: output, stderr: output });
  return { code: result.exitCode, out };
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
