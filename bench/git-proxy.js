#!/usr/bin/env node
// bench/git-proxy: `git clone` of a generated repo through the gateway's git proxy
// versus straight from `git http-backend`, measured in the same run.
// Run after `npm run build`: node bench/git-proxy.js [--size-mb 50] [--runs 5]
//
// Processes as in production: the upstream git host (an HTTP server running
// git http-backend) and the gateway each run in their own child process; git reaches
// the gateway through a socat TCP relay, as inside a sandbox (a Node relay when
// socat is missing).
import { Buffer } from 'node:buffer';
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers/promises';
import { URL } from 'node:url';
import { arg, child, generateRepo, gitEnv } from './lib/generated-repo.js';

const dist = new URL('../dist/gateway/', import.meta.url);
const role = process.argv[2];
const AUTH = `Basic ${Buffer.from('x-access-token:bench-token').toString('base64')}`;

if (role === '--upstream') {
  const { runHttpBackend } = await import(new URL('git-http-backend.js', dist).href);
  const root = process.argv[3];
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
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else if (role === '--gateway') {
  const { createGateway } = await import(new URL('gateway.js', dist).href);
  const { policyFor } = await import(new URL('egress-policy.js', dist).href);
  const [socketPath, upstreamUrl] = process.argv.slice(3);
  const { parseGitHosts } = await import(new URL('resolver.js', dist).href);
  // The upstream is on loopback: an operator-configured git host (HANGAR_GIT_HOSTS).
  const gateway = createGateway({ gitHosts: parseGitHosts(new URL(upstreamUrl).origin) });
  await gateway.attach('bench', {
    socketPath,
    policy: policyFor({ level: 'none' }, []),
    branch: 'hangar/bench',
    repos: {
      'git.hangar.test/acme/bench': { url: upstreamUrl, headers: { authorization: AUTH } },
    },
  });
  process.send('ready');
} else if (role === '--relay') {
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ path: process.argv[3], allowHalfOpen: true });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1', () => process.send(server.address().port));
} else {
  await main();
}

function timeClone(url, target, home) {
  rmSync(target, { recursive: true, force: true });
  const started = performance.now();
  const result = spawnSync('git', ['clone', '-q', '--bare', url, target], { env: gitEnv(home) });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`git clone ${url} failed: ${result.stderr}`);
  return ms;
}

function median(values) {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

async function main() {
  const sizeMb = Number(arg('--size-mb', '50'));
  const runs = Number(arg('--runs', '5'));
  const root = mkdtempSync(join(tmpdir(), 'hangar-bench-git-'));
  const home = join(root, 'home');
  mkdirSync(home, { recursive: true });
  mkdirSync(join(root, 'upstream'), { recursive: true });
  const children = [];
  let relay;
  try {
    const packBytes = generateRepo(root, home, sizeMb, 10);
    const upstream = await child(import.meta.url, ['--upstream', join(root, 'upstream')]);
    children.push(upstream.proc);
    const socketPath = join(root, 'gateway.sock');
    const gateway = await child(import.meta.url, [
      '--gateway',
      socketPath,
      `http://127.0.0.1:${upstream.message}/bench.git`,
    ]);
    children.push(gateway.proc);
    let relayPort;
    let relayKind;
    if (spawnSync('socat', ['-V']).status === 0) {
      const probe = createServer();
      await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
      relayPort = probe.address().port;
      await new Promise((resolve) => probe.close(resolve));
      relay = spawn('socat', [
        `TCP-LISTEN:${relayPort},bind=127.0.0.1,reuseaddr,fork`,
        `UNIX-CONNECT:${socketPath}`,
      ]);
      await setTimeout(300);
      relayKind = 'socat relay';
    } else {
      const nodeRelay = await child(import.meta.url, ['--relay', socketPath]);
      children.push(nodeRelay.proc);
      relayPort = nodeRelay.message;
      relayKind = 'Node relay';
    }
    // The upstream here takes any request, so neither path pays a 401 round trip.
    const direct = `http://127.0.0.1:${upstream.message}/bench.git`;
    const proxied = `http://127.0.0.1:${relayPort}/git/git.hangar.test/acme/bench.git`;
    const target = join(root, 'clone.git');
    timeClone(direct, target, home);
    timeClone(proxied, target, home);
    const times = { direct: [], proxy: [] };
    for (let run = 0; run < runs; run++) {
      times.direct.push(timeClone(direct, target, home));
      times.proxy.push(timeClone(proxied, target, home));
    }
    const d = median(times.direct);
    const p = median(times.proxy);
    console.log(
      `bench/git-proxy: clone --bare of a ${(packBytes / 1024 / 1024).toFixed(1)} MB pack, median of ${runs} (${relayKind})`,
    );
    console.log(`  direct from git http-backend  ${d.toFixed(0).padStart(6)} ms`);
    console.log(`  through the git proxy         ${p.toFixed(0).padStart(6)} ms`);
    console.log(`  ratio (proxy/direct): ${(p / d).toFixed(2)}  (goal <= 1.15)`);
  } finally {
    relay?.kill();
    for (const proc of children) proc.kill();
    rmSync(root, { recursive: true, force: true });
  }
}
