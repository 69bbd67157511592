#!/usr/bin/env node
// bench/repeat-clone: the second session's clone of a ~200 MB repo (served from the
// gateway's host-side mirror) against the first session's (the mirror fetches the repo
// from the upstream, then serves it), and against the gateway with no mirror at all
// (HANGAR_GIT_MIRROR=0), all in the same run.
// Run after `npm run build`: node bench/repeat-clone.js [--size-mb 200] [--rate 25] [--rounds 2]
//
// The upstream git host (an HTTP server running git http-backend) sits behind a link
// limited to --rate MB/s (0: loopback, unlimited), standing in for the network between
// a Hangar host and GitHub. Each gateway runs in its own child process; git reaches it
// through a Node TCP relay, as inside a sandbox. Each clone is a full clone with a
// checkout, as a session's is.
import { Buffer } from 'node:buffer';
import { spawn } from 'node:child_process';
import console from 'node:console';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { URL } from 'node:url';
import { arg, child, generateRepo, gitEnv } from './lib/generated-repo.js';

const dist = new URL('../dist/gateway/', import.meta.url);
const role = process.argv[2];
const AUTH = `Basic ${Buffer.from('x-access-token:bench-token').toString('base64')}`;

if (role === '--upstream') {
  const { runHttpBackend } = await import(new URL('git-http-backend.js', dist).href);
  const [root, rate] = [process.argv[3], Number(process.argv[4])];
  const server = createHttpServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://upstream');
    runHttpBackend(
      {
        projectRoot: root,
        pathInfo: decodeURIComponent(url.pathname),
        method: req.method ?? 'GET',
        query: url.search.slice(1),
        headers: req.headers,
        body: req,
      },
      res,
    );
  });
  server.listen(0, '127.0.0.1', () => {
    if (rate <= 0) return process.send(server.address().port);
    // The link: what the upstream sends is let through at `rate` MB/s.
    const link = createServer({ allowHalfOpen: true }, (client) => {
      const backend = connect({ port: server.address().port, host: '127.0.0.1' });
      client.pipe(backend);
      throttle(backend, client, rate * 1024 * 1024);
      client.on('error', () => backend.destroy());
      backend.on('error', () => client.destroy());
    });
    link.listen(0, '127.0.0.1', () => process.send(link.address().port));
  });
} else if (role === '--gateway') {
  const { createGateway } = await import(new URL('gateway.js', dist).href);
  const { createGitMirrors } = await import(new URL('git-mirror.js', dist).href);
  const { policyFor } = await import(new URL('egress-policy.js', dist).href);
  const { parseGitHosts } = await import(new URL('resolver.js', dist).href);
  const [dir, upstreamUrl, mirrorsRoot] = process.argv.slice(3);
  const logger = { warn: (fields, message) => console.error(message, fields), info: () => {} };
  const gateway = createGateway({
    // The upstream is on loopback: an operator-configured git host (HANGAR_GIT_HOSTS).
    gitHosts: parseGitHosts(new URL(upstreamUrl).origin),
    ...(mirrorsRoot === 'off'
      ? {}
      : { gitMirrors: createGitMirrors({ root: mirrorsRoot, maxBytes: 2 * 1024 ** 3, logger }) }),
  });
  const ports = [];
  for (const id of ['session-1', 'session-2']) {
    const socketPath = join(dir, `${id}.sock`);
    await gateway.attach(id, {
      socketPath,
      policy: policyFor({ level: 'none' }, []),
      repos: {
        'git.hangar.test/acme/bench': { url: upstreamUrl, headers: { authorization: AUTH } },
      },
    });
    ports.push(await relay(socketPath));
  }
  process.send(ports);
} else {
  await main();
}

/** Pipes `from` into `to` at no more than `bytesPerSecond`. */
function throttle(from, to, bytesPerSecond) {
  let due = performance.now();
  from.on('data', (chunk) => {
    const flowing = to.write(chunk);
    due = Math.max(due, performance.now()) + (chunk.length / bytesPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait <= 1 && flowing) return;
    from.pause();
    const resume = () => setTimeout(() => from.resume(), Math.max(0, due - performance.now()));
    if (flowing) resume();
    else to.once('drain', resume);
  });
  from.on('end', () => to.end());
}

/** What the relay inside a sandbox does: 127.0.0.1:<port> → the gateway's unix socket. */
function relay(socketPath) {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: socketPath, allowHalfOpen: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server.address().port)),
  );
}

/** A session's clone: full, with a checkout; resolves with its wall time in ms. */
async function timeClone(url, target, home) {
  rmSync(target, { recursive: true, force: true });
  const started = performance.now();
  const proc = spawn('git', ['clone', '-q', url, target], {
    env: gitEnv(home),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(proc, 'close');
  const ms = performance.now() - started;
  if (code !== 0) throw new Error(`git clone ${url} failed: ${stderr}`);
  rmSync(target, { recursive: true, force: true });
  return ms;
}

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function main() {
  const sizeMb = Number(arg('--size-mb', '200'));
  const rate = Number(arg('--rate', '25'));
  const rounds = Number(arg('--rounds', '2'));
  const root = mkdtempSync(join(tmpdir(), 'hangar-bench-mirror-'));
  const home = join(root, 'home');
  const mirrors = join(root, 'mirrors');
  mkdirSync(home, { recursive: true });
  mkdirSync(join(root, 'upstream'), { recursive: true });
  const children = [];
  try {
    const packBytes = generateRepo(root, home, sizeMb, 20);
    const upstream = await child(import.meta.url, [
      '--upstream',
      join(root, 'upstream'),
      String(rate),
    ]);
    children.push(upstream.proc);
    const upstreamUrl = `http://127.0.0.1:${upstream.message}/bench.git`;
    const plain = await child(import.meta.url, [
      '--gateway',
      mkdtempSync(join(root, 'gw-')),
      upstreamUrl,
      'off',
    ]);
    children.push(plain.proc);
    const mirrored = await child(import.meta.url, [
      '--gateway',
      mkdtempSync(join(root, 'gw-')),
      upstreamUrl,
      mirrors,
    ]);
    children.push(mirrored.proc);
    const url = (port) => `http://127.0.0.1:${port}/git/git.hangar.test/acme/bench.git`;
    const target = join(root, 'clone');
    const load = loadavg()[0];
    const times = { floor: [], off: [], first: [], second: [] };
    const bare = join(root, 'upstream', 'bench.git');
    for (let round = 0; round < rounds; round++) {
      rmSync(mirrors, { recursive: true, force: true });
      // The floor: the same clone from the bare repo on disk, no HTTP, no gateway.
      times.floor.push(await timeClone(`file://${bare}`, target, home));
      times.off.push(await timeClone(url(plain.message[0]), target, home));
      times.first.push(await timeClone(url(mirrored.message[0]), target, home));
      times.second.push(await timeClone(url(mirrored.message[1]), target, home));
    }
    const [floor, off, first, second] = [times.floor, times.off, times.first, times.second].map(
      median,
    );
    const link = rate > 0 ? `a ${rate} MB/s link to the upstream` : 'loopback, no rate limit';
    console.log(
      `bench/repeat-clone: full clone of a ${(packBytes / 1024 / 1024).toFixed(0)} MB pack over ${link}, median of ${rounds} (load ${load.toFixed(1)})`,
    );
    console.log(`  floor: git clone file:// on the host  ${floor.toFixed(0).padStart(7)} ms`);
    console.log(`  no mirror (HANGAR_GIT_MIRROR=0)       ${off.toFixed(0).padStart(7)} ms`);
    console.log(`  session 1 (mirror fetches, serves)    ${first.toFixed(0).padStart(7)} ms`);
    console.log(`  session 2 (from the mirror)           ${second.toFixed(0).padStart(7)} ms`);
    console.log(
      `  ratio session 2 / session 1: ${(second / first).toFixed(2)}  (goal <= 0.3); / no mirror: ${(second / off).toFixed(2)}; session 1 / no mirror: ${(first / off).toFixed(2)}; session 2 / floor: ${(second / floor).toFixed(2)}`,
    );
  } finally {
    for (const proc of children) proc.kill();
    rmSync(root, { recursive: true, force: true });
  }
}
