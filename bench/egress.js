#!/usr/bin/env node
// bench/egress: throughput through a CONNECT tunnel versus a direct loopback
// connection, and the time a CONNECT handshake adds, measured in the same run.
// Run after `npm run build`: node bench/egress.js [--bytes 1G] [--handshakes 2000]
//
// Three processes, as in production: this one is the client (the sandbox side), a
// child runs the gateway (the host side), another the sink/echo server (the
// internet). The gateway is reached on its unix socket directly, and also through a
// socat TCP relay as a sandbox reaches it (when socat is installed).
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers/promises';
import { URL } from 'node:url';

const dist = new URL('../dist/gateway/', import.meta.url);
const role = process.argv[2];

if (role === '--sink') {
  // Counts bytes on one port (answers one byte when the expected total arrived) and
  // echoes on another (for handshakes).
  const sink = createServer((socket) => {
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
    sink: await listen(sink),
    source: await listen(source),
    echo: await listen(echo),
  });
} else if (role === '--gateway') {
  const { createGateway } = await import(new URL('gateway.js', dist).href);
  const { policyFor } = await import(new URL('egress-policy.js', dist).href);
  const { parsePins } = await import(new URL('resolver.js', dist).href);
  const [socketPath, ports] = process.argv.slice(3);
  const gateway = createGateway({ pins: parsePins('bench.hangar.test=127.0.0.1') });
  const allowlist = ports.split(',').map((port) => `bench.hangar.test:${port}`);
  await gateway.attach('bench', {
    socketPath,
    policy: policyFor({ level: 'custom', allowlist }, []),
    limits: { requestsPerSecond: 1e9, burst: 1e9 },
  });
  process.send('ready');
} else {
  await main();
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
  const proc = spawn(process.execPath, [new URL(import.meta.url).pathname, ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = await once(proc, 'message');
  return { proc, message };
}

/** Opens a connection: direct TCP, or CONNECT through the gateway (unix socket or relay). */
async function open(route, port) {
  const socket =
    route.kind === 'direct'
      ? connect({ host: '127.0.0.1', port, noDelay: true })
      : route.kind === 'unix'
        ? connect(route.path)
        : connect({ host: '127.0.0.1', port: route.port, noDelay: true });
  await once(socket, 'connect');
  if (route.kind === 'direct') return socket;
  socket.setNoDelay?.(true);
  socket.write(
    `CONNECT bench.hangar.test:${port} HTTP/1.1\r\nHost: bench.hangar.test:${port}\r\n\r\n`,
  );
  let head = '';
  for (;;) {
    const [chunk] = await once(socket, 'data');
    head += chunk.toString('latin1');
    if (head.includes('\r\n\r\n')) break;
  }
  if (!head.startsWith('HTTP/1.1 200')) throw new Error(`CONNECT refused: ${head}`);
  return socket;
}

async function throughput(route, port, total) {
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

async function main() {
  const total = parseBytes(arg('--bytes', '1G'));
  const count = Number(arg('--handshakes', '2000'));
  const dir = mkdtempSync(join(tmpdir(), 'hangar-bench-egress-'));
  const socketPath = join(dir, 'gateway.sock');
  const { proc: sinkProc, message: ports } = await child(['--sink']);
  const { proc: gatewayProc } = await child([
    '--gateway',
    socketPath,
    `${ports.sink},${ports.source},${ports.echo}`,
  ]);
  let relay;
  if (spawnSync('socat', ['-V']).status === 0) {
    const probe = createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const relayPort = probe.address().port;
    await new Promise((resolve) => probe.close(resolve));
    relay = spawn('socat', [
      `TCP-LISTEN:${relayPort},bind=127.0.0.1,reuseaddr,fork`,
      `UNIX-CONNECT:${socketPath}`,
    ]);
    await setTimeout(300);
    relay.port = relayPort;
  }
  const routes = [
    { name: 'direct', kind: 'direct' },
    { name: 'CONNECT (unix socket)', kind: 'unix', path: socketPath },
    ...(relay ? [{ name: 'CONNECT (socat relay)', kind: 'relay', port: relay.port }] : []),
  ];
  try {
    // Warm up every path, then alternate runs so drift hits all alike.
    for (const route of routes) await throughput(route, ports.sink, 64 * 1024 * 1024);
    const up = Object.fromEntries(routes.map((r) => [r.name, []]));
    const down = Object.fromEntries(routes.map((r) => [r.name, []]));
    for (let round = 0; round < 3; round++) {
      for (const route of routes) {
        up[route.name].push(await throughput(route, ports.sink, total));
        down[route.name].push(await download(route, ports.source, total));
      }
    }
    const best = (name, rates = up) => Math.max(...rates[name]);
    const latency = {};
    for (const route of routes) latency[route.name] = await handshakes(route, ports.echo, count);

    const gib = (rate) => `${(rate / 1024 ** 3).toFixed(2)} GiB/s`;
    console.log(
      `bench/egress: ${(total / 1024 ** 3).toFixed(2)} GiB per run, best of 3; ${count} handshakes`,
    );
    for (const route of routes) {
      const upRatio = best(route.name) / best('direct');
      const downRatio = best(route.name, down) / best('direct', down);
      console.log(
        `  ${route.name.padEnd(24)} up ${gib(best(route.name)).padStart(11)} (${upRatio.toFixed(2)})  ` +
          `down ${gib(best(route.name, down)).padStart(11)} (${downRatio.toFixed(2)})  ` +
          `handshake p50 ${latency[route.name].p50.toFixed(3)} ms  p90 ${latency[route.name].p90.toFixed(3)} ms`,
      );
    }
    const unix = 'CONNECT (unix socket)';
    const ratio = Math.min(best(unix) / best('direct'), best(unix, down) / best('direct', down));
    const added = latency[unix].p50 - latency.direct.p50;
    console.log(
      `  throughput ratio (CONNECT/direct, worse direction): ${ratio.toFixed(2)}  (goal >= 0.90)`,
    );
    console.log(`  added per CONNECT handshake, p50: ${added.toFixed(3)} ms  (goal <= 1 ms)`);
  } finally {
    relay?.kill();
    sinkProc.kill();
    gatewayProc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
