#!/usr/bin/env node
// bench/egress: throughput through the gateway's CONNECT tunnel as a sandbox really
// uses it, against squid's CONNECT (the anchor) and a direct loopback connection, and
// the time a CONNECT handshake adds, all measured in the same run.
// Run as root after `npm run build`:
//   node bench/egress.js [--bytes 1G] [--handshakes 2000] [--rounds 3]
//
// Processes, as in production: a child runs the gateway and the local sandbox driver
// (the host side, as `hangar serve` does), another the sink/source/echo servers (the
// internet). Routes:
//   - sandbox → 127.0.0.1:3128: a client inside a real sandbox, its connection
//     accepted by the gateway on a socket in the sandbox's own network namespace;
//   - squid CONNECT: Debian's squid on loopback, started here (skipped if absent);
//   - gateway unix socket: the gateway's own socket, no sandbox (for reference);
//   - direct: the client straight to the sink, the floor.
// The in-sandbox client runs this same file (bound read-only into the sandbox).
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers/promises';
import { fileURLToPath, URL } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const role = process.argv[2];
const SANDBOX_PORT = 3128;
const BENCH_DIR = '/opt/hangar-bench';

if (role === '--sink') {
  await sink();
} else if (role === '--gateway') {
  await gatewayProcess();
} else if (role === '--client') {
  // Inside the sandbox: one measurement, its result as JSON on stdout.
  const [what, route, port, amount] = process.argv.slice(3);
  const result = await measure(what, JSON.parse(route), Number(port), Number(amount));
  process.stdout.write(JSON.stringify(result));
} else {
  await main();
}

async function sink() {
  // Counts bytes on one port (answers one byte when the expected total arrived),
  // sends bytes on another, and echoes on a third (for handshakes).
  const counter = createServer((socket) => {
    let expected = -1;
    let seen = 0;
    let header = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      if (expected < 0) {
        header = Buffer.concat([header, chunk]);
        if (header.length < 8) return;
        expected = Number(header.readBigUInt64BE(0));
        seen = header.length - 8;
      } else {
        seen += chunk.length;
      }
      if (seen >= expected) socket.end('k');
    });
  });
  // Sends as many bytes as the 8-byte count it is sent asks for.
  const source = createServer((socket) => {
    socket.once('data', async (header) => {
      let left = Number(header.readBigUInt64BE(0));
      const block = Buffer.alloc(1024 * 1024, 9);
      while (left > 0) {
        const size = Math.min(block.length, left);
        left -= size;
        if (!socket.write(size === block.length ? block : block.subarray(0, size)))
          await once(socket, 'drain');
      }
      socket.end();
    });
  });
  const echo = createServer((socket) => socket.pipe(socket));
  const listen = (server) =>
    new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
  process.send({
    sink: await listen(counter),
    source: await listen(source),
    echo: await listen(echo),
  });
}

/** The host side: the gateway, and a sandbox attached to it as `hangar serve` makes one. */
async function gatewayProcess() {
  const { createGateway } = await import(new URL('gateway/gateway.js', dist).href);
  const { policyFor } = await import(new URL('gateway/egress-policy.js', dist).href);
  const { parsePins } = await import(new URL('gateway/resolver.js', dist).href);
  const [dir, ports] = process.argv.slice(3);
  const gateway = createGateway({ pins: parsePins('bench.hangar.test=127.0.0.1') });
  const allowlist = ports.split(',').map((port) => `bench.hangar.test:${port}`);
  const attach = (id, socketPath) =>
    gateway.attach(id, {
      socketPath,
      policy: policyFor({ level: 'custom', allowlist }, []),
      limits: { requestsPerSecond: 1e9, burst: 1e9 },
    });
  const unixSocket = join(dir, 'gateway.sock');
  await attach('bench', unixSocket);

  let box;
  let why;
  if (process.getuid?.() !== 0) why = 'not root';
  else {
    try {
      const { LocalDriver } = await import(new URL('sandbox/local-driver.js', dist).href);
      const driver = new LocalDriver({
        dataDir: join(dir, 'data'),
        cgroupGroup: `hangar-bench-egress-${process.pid}`,
        gateway,
      });
      const sandboxSocket = join(dir, 'sandbox.sock');
      await attach('bench-sandbox', sandboxSocket);
      box = await driver.create({
        gatewaySocket: sandboxSocket,
        gatewayPort: SANDBOX_PORT,
        binds: [{ source: dirname(fileURLToPath(import.meta.url)), target: BENCH_DIR }],
      });
      process.on('message', async (message) => {
        if (message === 'stop') {
          await box.destroy();
          await driver.close();
          process.send('stopped', () => process.exit(0));
          return;
        }
        process.send(
          message[0] === 'netns'
            ? await inNetns(driver.netnsInUse.get(box.id), message.slice(1))
            : await inSandbox(box, message),
        );
      });
    } catch (error) {
      why = error.message;
    }
  }
  process.send({ unixSocket, sandbox: box !== undefined, why });
}

/** Runs one `--client` measurement inside the sandbox; its JSON result. */
async function inSandbox(box, args) {
  let out = '';
  let err = '';
  const { Writable } = await import('node:stream');
  const sinkTo = (append) =>
    new Writable({
      write(chunk, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  const result = await box.exec(
    [process.execPath, `${BENCH_DIR}/egress.js`, '--client', ...args.map(String)],
    { stdout: sinkTo((s) => (out += s)), stderr: sinkTo((s) => (err += s)) },
  );
  if (result.exitCode !== 0) return { error: err.trim() || `exit ${result.exitCode}` };
  return JSON.parse(out);
}

/**
 * Runs one `--client` measurement as a host process (no sandbox: no seccomp filter,
 * cgroup or mount namespace) entered into the sandbox's network namespace only, to
 * tell the client's sandbox apart from the network path.
 */
async function inNetns(netns, args) {
  if (!netns) return { error: 'the sandbox has no prepared network namespace' };
  const proc = spawn(
    'nsenter',
    [
      `--net=/proc/self/fd/3`,
      process.execPath,
      fileURLToPath(import.meta.url),
      '--client',
      ...args.map(String),
    ],
    { stdio: ['ignore', 'pipe', 'pipe', netns.nsFd] },
  );
  let out = '';
  let err = '';
  proc.stdout.on('data', (chunk) => (out += chunk));
  proc.stderr.on('data', (chunk) => (err += chunk));
  const [code] = await once(proc, 'exit');
  if (code !== 0) return { error: err.trim() || `exit ${code}` };
  return JSON.parse(out);
}

function arg(name, fallback) {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1];
}

function parseBytes(text) {
  const match = /^([0-9.]+)([KMG]?)$/i.exec(text);
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[match[2].toUpperCase()];
  return Math.round(Number(match[1]) * unit);
}

async function child(args) {
  const prof =
    args[0] === '--gateway' && process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
      : [];
  const proc = spawn(process.execPath, [...prof, fileURLToPath(import.meta.url), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(proc, 'message');
  return { proc, message };
}

/** Opens a connection: direct TCP, or CONNECT through a proxy (TCP or unix socket). */
async function open(route, port) {
  const socket =
    route.kind === 'unix'
      ? connect(route.path)
      : connect({ host: '127.0.0.1', port: route.kind === 'direct' ? port : route.port });
  await once(socket, 'connect');
  socket.setNoDelay?.(true);
  if (route.kind === 'direct') return socket;
  const target = route.target ?? 'bench.hangar.test';
  socket.write(`CONNECT ${target}:${port} HTTP/1.1\r\nHost: ${target}:${port}\r\n\r\n`);
  let head = '';
  for (;;) {
    const [chunk] = await once(socket, 'data');
    head += chunk.toString('latin1');
    const end = head.indexOf('\r\n\r\n');
    if (end === -1) continue;
    if (!/^HTTP\/1\.[01] 200/.test(head)) throw new Error(`CONNECT refused: ${head}`);
    // Anything after the head is the tunnel's first bytes.
    if (end + 4 < head.length) socket.unshift(Buffer.from(head.slice(end + 4), 'latin1'));
    return socket;
  }
}

async function upload(route, port, total) {
  const socket = await open(route, port);
  const block = Buffer.alloc(1024 * 1024, 7);
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(total));
  const started = performance.now();
  const done = once(socket, 'data');
  socket.write(header);
  let sent = 0;
  while (sent < total) {
    const size = Math.min(block.length, total - sent);
    sent += size;
    if (!socket.write(size === block.length ? block : block.subarray(0, size)))
      await once(socket, 'drain');
  }
  await done;
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  return total / seconds;
}

async function download(route, port, total) {
  const socket = await open(route, port);
  const header = Buffer.alloc(8);
  header.writeBigUInt64BE(BigInt(total));
  const started = performance.now();
  let seen = 0;
  socket.on('data', (chunk) => (seen += chunk.length));
  socket.write(header);
  await once(socket, 'end');
  const seconds = (performance.now() - started) / 1000;
  socket.destroy();
  if (seen !== total) throw new Error(`received ${seen} of ${total} bytes`);
  return total / seconds;
}

async function handshakes(route, port, count) {
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const socket = await open(route, port);
    // One round trip proves the path is open end to end.
    socket.write('x');
    await once(socket, 'data');
    times.push(performance.now() - started);
    socket.destroy();
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length / 2)], p90: times[Math.floor(times.length * 0.9)] };
}

function measure(what, route, port, amount) {
  if (what === 'up') return upload(route, port, amount);
  if (what === 'down') return download(route, port, amount);
  return handshakes(route, port, amount);
}

/** Debian's squid on a loopback port, CONNECT allowed to loopback only; undefined if absent. */
async function startSquid(dir) {
  const squid = ['/usr/sbin/squid', '/usr/bin/squid'].find((path) => existsSync(path));
  if (!squid) return undefined;
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  await new Promise((resolve) => probe.close(resolve));
  const home = join(dir, 'squid');
  spawnSync('mkdir', ['-p', home]);
  chmodSync(home, 0o777);
  const conf = join(home, 'squid.conf');
  writeFileSync(
    conf,
    [
      `http_port 127.0.0.1:${port}`,
      'acl to_loopback dst 127.0.0.0/8',
      'http_access allow localhost to_loopback',
      'http_access deny all',
      'cache deny all',
      'cache_mem 8 MB',
      'access_log none',
      `cache_log ${join(home, 'cache.log')}`,
      `pid_filename ${join(home, 'squid.pid')}`,
      `coredump_dir ${home}`,
      'shutdown_lifetime 0 seconds',
      'workers 1',
      '',
    ].join('\n'),
  );
  const proc = spawn(squid, ['-N', '-f', conf], { stdio: 'ignore' });
  // Ready once it accepts a connection.
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return { proc, port };
    if (proc.exitCode !== null) return undefined;
    await setTimeout(50);
  }
  proc.kill();
  return undefined;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function main() {
  const total = parseBytes(arg('--bytes', '1G'));
  const count = Number(arg('--handshakes', '2000'));
  const rounds = Number(arg('--rounds', '3'));
  if (!existsSync(new URL('gateway/gateway.js', dist))) {
    console.error('Run `npm run build` first: this benchmark uses the built gateway.');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-egress-'));
  chmodSync(dir, 0o755);
  const { proc: sinkProc, message: ports } = await child(['--sink']);
  const { proc: gatewayProc, message: host } = await child([
    '--gateway',
    dir,
    `${ports.sink},${ports.source},${ports.echo}`,
  ]);
  const squid = await startSquid(dir);
  const SANDBOX = 'sandbox → 127.0.0.1:3128';
  const SQUID = 'squid CONNECT';
  const routes = [
    ...(host.sandbox ? [{ name: SANDBOX, kind: 'tcp', port: SANDBOX_PORT, sandbox: true }] : []),
    ...(host.sandbox
      ? [{ name: 'host client in its netns', kind: 'tcp', port: SANDBOX_PORT, netns: true }]
      : []),
    ...(squid ? [{ name: SQUID, kind: 'tcp', port: squid.port, target: '127.0.0.1' }] : []),
    { name: 'gateway unix socket', kind: 'unix', path: host.unixSocket },
    { name: 'direct', kind: 'direct' },
  ];
  if (!host.sandbox) console.log(`  (no sandbox route: ${host.why})`);
  if (!squid)
    console.log('  (no squid anchor: install squid to measure it: apt-get install squid)');

  const run = async (route, what, port, amount) => {
    if (!route.sandbox && !route.netns) return measure(what, route, port, amount);
    const where = route.netns ? ['netns'] : [];
    gatewayProc.send([...where, what, JSON.stringify(route), port, amount]);
    const [result] = await once(gatewayProc, 'message');
    if (result.error) throw new Error(`in the sandbox: ${result.error}`);
    return result;
  };
  try {
    // Warm up every path, then alternate so that drift hits all alike.
    for (const route of routes) await run(route, 'up', ports.sink, 64 * 1024 * 1024);
    const up = Object.fromEntries(routes.map((r) => [r.name, []]));
    const down = Object.fromEntries(routes.map((r) => [r.name, []]));
    const latency = Object.fromEntries(routes.map((r) => [r.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const route of routes) {
        up[route.name].push(await run(route, 'up', ports.sink, total));
        down[route.name].push(await run(route, 'down', ports.source, total));
        latency[route.name].push((await run(route, 'hs', ports.echo, count)).p50);
      }
    }
    const gib = (rate) => `${(rate / 1024 ** 3).toFixed(2)} GiB/s`;
    const rate = (name, rates) => median(rates[name]);
    console.log(
      `bench/egress: ${(total / 1024 ** 3).toFixed(2)} GiB each way per run, median of ${rounds} rounds; ` +
        `${count} handshakes per round (p50, median over rounds)`,
    );
    for (const route of routes) {
      const vsDirect = (rates) => (rate(route.name, rates) / rate('direct', rates)).toFixed(2);
      console.log(
        `  ${route.name.padEnd(26)} up ${gib(rate(route.name, up)).padStart(11)} (${vsDirect(up)} of direct)  ` +
          `down ${gib(rate(route.name, down)).padStart(11)} (${vsDirect(down)})  ` +
          `handshake p50 ${median(latency[route.name]).toFixed(3)} ms`,
      );
    }
    if (host.sandbox) {
      const added = median(latency[SANDBOX]) - median(latency.direct);
      if (squid) {
        const ratio = Math.min(
          rate(SANDBOX, up) / rate(SQUID, up),
          rate(SANDBOX, down) / rate(SQUID, down),
        );
        console.log(
          `  sandbox path / squid, worse direction: ${ratio.toFixed(2)}×  (goal >= 2: ${ratio >= 2 ? 'met' : 'not met'})`,
        );
      }
      console.log(
        `  added per CONNECT handshake from a sandbox, p50: ${added.toFixed(3)} ms  (goal <= 1 ms: ${added <= 1 ? 'met' : 'not met'})`,
      );
    }
  } finally {
    if (host.sandbox) {
      const exited = once(gatewayProc, 'exit');
      gatewayProc.send('stop');
      await once(gatewayProc, 'message');
      await exited;
    }
    squid?.proc.kill();
    sinkProc.kill();
    gatewayProc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
