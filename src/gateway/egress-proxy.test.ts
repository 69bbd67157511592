import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyFor, type EgressPolicy } from './egress-policy.js';
import { dialDirect } from './egress-proxy.js';
import { createGateway, type Attachment, type Gateway } from './gateway.js';
import { parseIpLiteral, type IpAddress } from './ip-class.js';
import { parsePins } from './resolver.js';
import {
  closeServer,
  listenLoopback,
  rawExchange,
  run,
  startRelay,
  tempDir,
} from './test-gateway.js';

const fixtures = new URL('../../fixtures/gateway/', import.meta.url).pathname;
const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

/** The web server tests reach through the proxy: it echoes what it received. */
const seen: { url: string; headers: IncomingHttpHeaders }[] = [];
const web = createHttpServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ url: req.url, host: req.headers.host }));
});
const tls = createHttpsServer(
  {
    cert: readFileSync(join(fixtures, 'tls-cert.pem')),
    key: readFileSync(join(fixtures, 'tls-key.pem')),
  },
  (_req, res) => res.end('tls ok'),
);
const echo = createTcpServer((socket) => socket.pipe(socket));
/** Sends 8 MiB and closes at once: a tunnel must still deliver every byte. */
const burst = createTcpServer((socket) => socket.end(Buffer.alloc(8 * 1024 * 1024, 5)));

let webPort = 0;
let tlsPort = 0;
let echoPort = 0;
let burstPort = 0;
const temp = tempDir();
let gateway: Gateway;

beforeAll(async () => {
  webPort = await listenLoopback(web);
  tlsPort = await listenLoopback(tls);
  echoPort = await listenLoopback(echo);
  burstPort = await listenLoopback(burst);
  gateway = createGateway({
    pins: parsePins(
      'web.hangar.test=127.0.0.1,tls.hangar.test=127.0.0.1,echo.hangar.test=127.0.0.1',
    ),
  });
});

afterAll(async () => {
  await gateway.close();
  await Promise.all([closeServer(web), closeServer(tls), closeServer(echo), closeServer(burst)]);
  temp.remove();
});

let count = 0;
async function attach(
  policy: EgressPolicy,
  limits: Parameters<Gateway['attach']>[1]['limits'] = {},
): Promise<{ attachment: Attachment; socket: string; proxy: string; close(): Promise<void> }> {
  count += 1;
  const socket = join(temp.dir, `sandbox-${count}.sock`);
  const attachment = await gateway.attach(`sandbox-${count}`, {
    socketPath: socket,
    policy,
    limits,
  });
  const relay = await startRelay(socket);
  return {
    attachment,
    socket,
    proxy: `http://127.0.0.1:${relay.port}`,
    close: async () => {
      await relay.close();
      await attachment.detach();
    },
  };
}

const customPolicy = () =>
  policyFor(
    {
      level: 'custom',
      allowlist: [
        `web.hangar.test:${webPort}`,
        `tls.hangar.test:${tlsPort}`,
        `echo.hangar.test:${echoPort}`,
        `echo.hangar.test:${burstPort}`,
        `localhost:${webPort}`,
      ],
    },
    [],
  );

function curl(proxy: string, ...args: string[]) {
  return run('curl', ['-sS', '--max-time', '10', '-x', proxy, ...args], { env });
}

describe('egress proxy', () => {
  it('forwards an allowed absolute-form GET to the pinned address, without proxy headers', async () => {
    const box = await attach(customPolicy());
    const result = await curl(
      box.proxy,
      '-H',
      'Proxy-Authorization: Basic eDp5',
      `http://web.hangar.test:${webPort}/hello?x=1`,
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      url: '/hello?x=1',
      host: `web.hangar.test:${webPort}`,
    });
    const last = seen[seen.length - 1];
    expect(last?.headers['proxy-authorization']).toBeUndefined();
    expect(last?.headers['proxy-connection']).toBeUndefined();
    await box.close();
  });

  it('tunnels CONNECT to a self-signed TLS server, untouched', async () => {
    const box = await attach(customPolicy());
    const result = await curl(
      box.proxy,
      '--cacert',
      join(fixtures, 'tls-cert.pem'),
      `https://tls.hangar.test:${tlsPort}/`,
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('tls ok');
    await box.close();
  });

  it('passes tunnel bytes through unchanged, both ways', async () => {
    const box = await attach(customPolicy());
    const payload = randomBytes(4 * 1024 * 1024);
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      const socket: Socket = connect(box.socket);
      const chunks: Buffer[] = [];
      let header = '';
      let open = false;
      let received = 0;
      socket.on('data', (chunk: Buffer) => {
        if (!open) {
          header += chunk.toString('latin1');
          const end = header.indexOf('\r\n\r\n');
          if (end === -1) return;
          expect(header.startsWith('HTTP/1.1 200')).toBe(true);
          open = true;
          socket.write(payload);
          chunk = Buffer.from(header.slice(end + 4), 'latin1');
        }
        chunks.push(chunk);
        received += chunk.length;
        if (received >= payload.length) {
          socket.destroy();
          resolve(Buffer.concat(chunks));
        }
      });
      socket.on('error', reject);
      socket.write(
        `CONNECT echo.hangar.test:${echoPort} HTTP/1.1\r\nHost: echo.hangar.test:${echoPort}\r\n\r\n`,
      );
    });
    const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(digest(echoed)).toBe(digest(payload));
    await box.close();
  });

  it('delivers every byte when the server closes right after sending', async () => {
    const box = await attach(customPolicy());
    for (let round = 0; round < 2; round++) {
      const received = await new Promise<number>((resolve, reject) => {
        const socket = connect(box.socket);
        let bytes = -1;
        let head = '';
        let stalledAt = 0;
        socket.on('data', (chunk: Buffer) => {
          if (bytes < 0) {
            head += chunk.toString('latin1');
            const end = head.indexOf('\r\n\r\n');
            if (end !== -1) bytes = Buffer.byteLength(head.slice(end + 4), 'latin1');
            return;
          }
          bytes += chunk.length;
          // A slow reader: the proxy holds unsent data when the server closes.
          if (bytes > stalledAt + 256 * 1024) {
            stalledAt = bytes;
            socket.pause();
            setTimeout(() => socket.resume(), 5);
          }
        });
        socket.on('end', () => resolve(bytes));
        socket.on('error', reject);
        socket.write(`CONNECT echo.hangar.test:${burstPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
      });
      expect(received).toBe(8 * 1024 * 1024);
    }
    await box.close();
  });

  it('refuses at level none with 403, the reason header and a one-line body', async () => {
    const box = await attach(policyFor({ level: 'none' }, []));
    const plain = await curl(box.proxy, '-i', `http://web.hangar.test:${webPort}/`);
    expect(plain.stdout).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(plain.stdout).toMatch(/X-Hangar-Deny-Reason: network-none/i);
    expect(plain.stdout.trim().split('\n').at(-1)).toMatch(
      /^Hangar blocked web\.hangar\.test:\d+: this environment has no network access \(level none\)\.$/,
    );
    const tunnel = await curl(box.proxy, '-v', `https://tls.hangar.test:${tlsPort}/`);
    expect(tunnel.code).not.toBe(0);
    expect(tunnel.stderr).toMatch(/< HTTP\/1\.1 403/);
    expect(tunnel.stderr).toMatch(/X-Hangar-Deny-Reason: network-none/i);
    expect(box.attachment.denials().map((d) => d.code)).toEqual(['network-none', 'network-none']);
    await box.close();
  });

  it('refuses a host outside the allowlist and records it for the sandbox', async () => {
    const box = await attach(customPolicy());
    const result = await curl(box.proxy, '-i', `http://other.hangar.test:${webPort}/`);
    expect(result.stdout).toMatch(/X-Hangar-Deny-Reason: not-allowed/i);
    expect(box.attachment.denials()).toMatchObject([
      { host: 'other.hangar.test', port: webPort, code: 'not-allowed' },
    ]);
    await box.close();
  });

  it('refuses every spelling of a private IP literal, even at full', async () => {
    const box = await attach(policyFor({ level: 'full' }, []));
    for (const host of [
      '127.0.0.1',
      '2130706433',
      '0x7f.1',
      '127.1',
      '0177.0.0.1',
      '[::ffff:7f00:1]',
      '[::1]',
      '169.254.169.254',
      '10.0.0.1',
      '[::ffff:127.0.0.1]',
      '0',
    ]) {
      const answer = await rawExchange(
        box.socket,
        `CONNECT ${host}:443 HTTP/1.1\r\nHost: ${host}:443\r\n\r\n`,
      );
      expect(answer, host).toMatch(/^HTTP\/1\.1 403 Forbidden\r\n/);
      expect(answer, host).toMatch(/X-Hangar-Deny-Reason: private-address/);
      const get = await rawExchange(
        box.socket,
        `GET http://${host}/ HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
      );
      expect(get, host).toMatch(/X-Hangar-Deny-Reason: private-address/);
    }
    await box.close();
  });

  it('refuses a name that resolves to a private address, and allows a pinned one', async () => {
    const box = await attach(customPolicy());
    const local = await curl(box.proxy, '-i', `http://localhost:${webPort}/`);
    expect(local.stdout).toMatch(/X-Hangar-Deny-Reason: private-address/i);
    expect(local.stdout).toMatch(/localhost resolves to the loopback address 127\.0\.0\.1/);
    const pinned = await curl(box.proxy, `http://web.hangar.test:${webPort}/`);
    expect(JSON.parse(pinned.stdout)).toMatchObject({ url: '/' });
    await box.close();
  });

  it('judges http://allowed@evil/ as evil, and refuses a Host header that disagrees', async () => {
    const box = await attach(customPolicy());
    const userinfo = await rawExchange(
      box.socket,
      `GET http://web.hangar.test:${webPort}@evil.hangar.test:${webPort}/ HTTP/1.1\r\nHost: evil.hangar.test:${webPort}\r\n\r\n`,
    );
    expect(userinfo).toMatch(/X-Hangar-Deny-Reason: not-allowed/);
    expect(userinfo).toMatch(/Hangar blocked evil\.hangar\.test/);
    const mismatch = await rawExchange(
      box.socket,
      `GET http://web.hangar.test:${webPort}/ HTTP/1.1\r\nHost: evil.hangar.test\r\n\r\n`,
    );
    expect(mismatch).toMatch(/X-Hangar-Deny-Reason: bad-target/);
    expect(mismatch).toMatch(/Host header does not match/);
    const noHost = await rawExchange(
      box.socket,
      `GET http://web.hangar.test:${webPort}/ HTTP/1.0\r\n\r\n`,
    );
    expect(noHost).toMatch(/^HTTP\/1\.1 403/);
    await box.close();
  });

  it('refuses origin-form requests and non-http absolute forms', async () => {
    const box = await attach(policyFor({ level: 'full' }, []));
    const origin = await rawExchange(
      box.socket,
      'GET /etc/passwd HTTP/1.1\r\nHost: web.hangar.test\r\n\r\n',
    );
    expect(origin).toMatch(/^HTTP\/1\.1 403/);
    expect(origin).toMatch(/not a proxy request/);
    const ftp = await rawExchange(
      box.socket,
      'GET ftp://web.hangar.test/ HTTP/1.1\r\nHost: web.hangar.test\r\n\r\n',
    );
    expect(ftp).toMatch(/X-Hangar-Deny-Reason: bad-target/);
    await box.close();
  });

  it('never lets CR, LF, space or NUL in a target reach a server', async () => {
    const box = await attach(customPolicy());
    const before = seen.length;
    for (const target of [
      `web.hangar.test\r:${webPort}`,
      `web.hangar.test%0d%0a:${webPort}`,
      `web.hangar.test\0:${webPort}`,
      `web.hangar.test :${webPort}`,
    ]) {
      const answer = await rawExchange(box.socket, `CONNECT ${target} HTTP/1.1\r\nHost: x\r\n\r\n`);
      expect(answer, JSON.stringify(target)).toMatch(/^HTTP\/1\.1 (400|403) /);
    }
    expect(seen.length).toBe(before);
    await box.close();
  });

  it('refuses ports other than 80 and 443 unless a pattern names them', async () => {
    const box = await attach(policyFor({ level: 'custom', allowlist: ['web.hangar.test'] }, []));
    const answer = await curl(box.proxy, '-i', `http://web.hangar.test:${webPort}/`);
    expect(answer.stdout).toMatch(/X-Hangar-Deny-Reason: port-not-allowed/i);
    await box.close();
  });

  it('knows the sandbox only by its socket: headers cannot claim another', async () => {
    const open = await attach(customPolicy());
    const closed = await attach(policyFor({ level: 'none' }, []));
    const spoof = [
      '-H',
      `X-Hangar-Sandbox: ${open.attachment.sandboxId}`,
      '-H',
      'Forwarded: for=other',
    ];
    const result = await curl(closed.proxy, '-i', ...spoof, `http://web.hangar.test:${webPort}/`);
    expect(result.stdout).toMatch(/X-Hangar-Deny-Reason: network-none/i);
    expect(open.attachment.denials()).toEqual([]);
    await open.close();
    await closed.close();
  });

  it('answers 429 past the request rate, without slowing another sandbox', async () => {
    const noisy = await attach(customPolicy(), { requestsPerSecond: 1, burst: 3 });
    const quiet = await attach(customPolicy(), { requestsPerSecond: 1, burst: 3 });
    const url = `http://web.hangar.test:${webPort}/`;
    const codes: string[] = [];
    for (let i = 0; i < 5; i++)
      codes.push((await curl(noisy.proxy, '-o', '/dev/null', '-w', '%{http_code}', url)).stdout);
    expect(codes).toEqual(['200', '200', '200', '429', '429']);
    const limited = await curl(noisy.proxy, '-i', url);
    expect(limited.stdout).toMatch(/X-Hangar-Limit: requests-per-second/i);
    expect((await curl(quiet.proxy, '-o', '/dev/null', '-w', '%{http_code}', url)).stdout).toBe(
      '200',
    );
    await noisy.close();
    await quiet.close();
  });

  it('answers 429 past the concurrent tunnels and the byte budget', async () => {
    const box = await attach(customPolicy(), { maxTunnels: 1, maxBytes: 64 * 1024 });
    const first = connect(box.socket);
    const opened = new Promise<void>((resolve) => first.once('data', () => resolve()));
    first.write(`CONNECT echo.hangar.test:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await opened;
    const second = await rawExchange(
      box.socket,
      `CONNECT echo.hangar.test:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(second).toMatch(/^HTTP\/1\.1 429 .*\r\nX-Hangar-Limit: tunnels/);
    // Spend the byte budget through the open tunnel: the proxy cuts it.
    const cut = new Promise<void>((resolve) => first.once('close', () => resolve()));
    first.on('data', () => undefined);
    first.write(randomBytes(128 * 1024));
    await cut;
    const after = await rawExchange(
      box.socket,
      `CONNECT echo.hangar.test:${echoPort} HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(after).toMatch(/X-Hangar-Limit: bytes/);
    await box.close();
  });
});

describe('dialing', () => {
  it('dials exactly the address it checked: DNS answers cannot change between check and dial', async () => {
    const answers = [['93.184.216.34'], ['127.0.0.1']];
    const lookups: string[] = [];
    const dialed: string[] = [];
    const rebinding = createGateway({
      lookup: (host) => {
        lookups.push(host);
        return Promise.resolve(answers.shift() ?? ['127.0.0.1']);
      },
      // Stands in for the network: whatever public address is dialed, the test web server answers.
      dial: (address: IpAddress, port: number) => {
        dialed.push(`${address.text}:${port}`);
        const loopback = parseIpLiteral('127.0.0.1') as IpAddress;
        return dialDirect(loopback, webPort);
      },
    });
    const socket = join(temp.dir, 'rebinding.sock');
    const attachment = await rebinding.attach('rebinding', {
      socketPath: socket,
      policy: policyFor({ level: 'full' }, []),
    });
    const first = await rawExchange(
      socket,
      'GET http://rebind.example/ HTTP/1.1\r\nHost: rebind.example\r\nConnection: close\r\n\r\n',
    );
    expect(first).toMatch(/^HTTP\/1\.1 200/);
    expect(lookups).toEqual(['rebind.example']);
    expect(dialed).toEqual(['93.184.216.34:80']);
    const second = await rawExchange(
      socket,
      'CONNECT rebind.example:443 HTTP/1.1\r\nHost: rebind.example\r\n\r\n',
    );
    expect(second).toMatch(/X-Hangar-Deny-Reason: private-address/);
    expect(dialed).toEqual(['93.184.216.34:80']);
    await attachment.detach();
  });

  it('gives up on a dial that never connects, with 502', async () => {
    const stuck = createGateway({
      lookup: () => Promise.resolve(['93.184.216.34']),
      // A socket that never connects: a black-holed SYN.
      dial: () => new Socket(),
      connectTimeoutMs: 200,
    });
    const socket = join(temp.dir, 'stuck.sock');
    const attachment = await stuck.attach('stuck', {
      socketPath: socket,
      policy: policyFor({ level: 'full' }, []),
    });
    const answer = await rawExchange(
      socket,
      'CONNECT slow.example:443 HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 502 Bad Gateway/);
    expect(answer).toMatch(/could not connect to slow\.example:443 \(ETIMEDOUT\)/);
    await attachment.detach();
  });

  it('never resolves a denied name', async () => {
    const lookups: string[] = [];
    const strict = createGateway({
      lookup: (host) => {
        lookups.push(host);
        return Promise.resolve(['93.184.216.34']);
      },
    });
    const socket = join(temp.dir, 'strict.sock');
    const attachment = await strict.attach('strict', {
      socketPath: socket,
      policy: policyFor({ level: 'custom', allowlist: ['ok.example'] }, []),
    });
    const answer = await rawExchange(
      socket,
      'CONNECT secret.example:443 HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(answer).toMatch(/not-allowed/);
    expect(lookups).toEqual([]);
    await attachment.detach();
  });
});
