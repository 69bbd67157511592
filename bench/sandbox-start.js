#!/usr/bin/env node
// bench/sandbox-start: how fast a local sandbox starts, against bare bubblewrap, and what
// an idle one costs in memory, measured in one run.
// Run as root after `npm run build`: node bench/sandbox-start.js [--runs 50] [--idle 100]
//
// (a) create → first exec of `true` returns → destroy, N times: p50/p95 of the whole,
//     and of each step;
// (a') the same with a warm pool (HANGAR_SANDBOX_POOL): create → first exec, refilled
//     between runs, and back to back;
// (b) bare `bwrap … true` with the same mount tree (base root, /usr, /opt, /proc with
//     its masks, /dev) and namespaces, N times: the floor a bwrap sandbox cannot beat;
// (c) M idle sandboxes at once: host memory used beyond the baseline, per sandbox.
// Prints the figures and the ratio (a)/(b).
import { spawn } from 'node:child_process';
import console from 'node:console';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout } from 'node:timers/promises';
import { URL } from 'node:url';

const dist = new URL('../dist/sandbox/', import.meta.url);
if (!existsSync(new URL('local-driver.js', dist))) {
  console.error('Run `npm run build` first: this benchmark uses the built driver.');
  process.exit(1);
}
const { LocalDriver } = await import(new URL('local-driver.js', dist).href);
const { mountArgs } = await import(new URL('bwrap-args.js', dist).href);

const flag = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const runs = flag('--runs', 50);
const idle = flag('--idle', 100);

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-bench-'));
const group = `hangar-bench-${process.pid}`;
const driver = new LocalDriver({ dataDir, cgroupGroup: group });

const quantile = (values, q) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const ms = (v) => `${v.toFixed(1)} ms`;
const summary = (values) => `p50 ${ms(quantile(values, 0.5))}  p95 ${ms(quantile(values, 0.95))}`;

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} failed: ${stderr}`)),
    );
  });
}

/** Proportional set size of every process in the bench's cgroups (holders, sleepers). */
function groupPss() {
  let total = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(`/${group}/`)) continue;
      const kb = /^Pss:\s+([0-9]+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      total += Number(kb?.[1] ?? 0) * 1024;
    } catch {
      // Gone.
    }
  }
  return total;
}

function memAvailable() {
  const line = readFileSync('/proc/meminfo', 'utf8').match(/^MemAvailable:\s+(\d+) kB$/m);
  return Number(line?.[1] ?? 0) * 1024;
}

try {
  // Warm up: builds the base and the disk template once, as a first session would.
  const warm = performance.now();
  await (await driver.create({})).destroy();
  console.log(
    `first sandbox on a fresh data dir (builds base + disk template): ${ms(performance.now() - warm)}`,
  );

  // (a)
  const total = [];
  const create = [];
  const exec = [];
  const destroy = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const box = await driver.create({});
    const t1 = performance.now();
    const result = await box.exec(['true']);
    const t2 = performance.now();
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}`);
    await box.destroy();
    const t3 = performance.now();
    total.push(t3 - t0);
    create.push(t1 - t0);
    exec.push(t2 - t1);
    destroy.push(t3 - t2);
  }

  // (a') The same with a warm pool of one shape: a started sandbox waits, and another is
  // started in the background after each take. Measured with the pool refilled (as for
  // sessions started more than a start apart), and back to back (refills still running).
  const pooledDriver = new LocalDriver({ dataDir, cgroupGroup: group, warmPool: 1 });
  await (await pooledDriver.create({})).destroy();
  const warmFirst = [];
  const warmTotal = [];
  const backToBack = [];
  for (let i = 0; i < runs; i++) {
    await pooledDriver.poolSettled();
    const t0 = performance.now();
    const box = await pooledDriver.create({});
    const result = await box.exec(['true']);
    const t1 = performance.now();
    if (result.exitCode !== 0) throw new Error(`true exited ${result.exitCode}`);
    await box.destroy();
    warmFirst.push(t1 - t0);
    warmTotal.push(performance.now() - t0);
  }
  for (let i = 0; i < Math.min(runs, 10); i++) {
    const t0 = performance.now();
    const box = await pooledDriver.create({});
    await box.exec(['true']);
    backToBack.push(performance.now() - t0);
    await box.destroy();
  }
  await pooledDriver.close();

  // (b) The same mount tree, without overlays or a disk: the base root read-only, the
  // live host directories bound, the same /proc masks, /dev and namespaces.
  const box = await driver.create({});
  const base = JSON.parse(
    readFileSync(join(driver.sandboxesDir, box.id, 'sandbox.json'), 'utf8'),
  ).base;
  await box.destroy();
  const procHas = (entry) => existsSync(join('/proc', entry));
  const args = mountArgs(base.lower, procHas).map((a) => (a === '--bind' ? '--ro-bind' : a));
  for (const dir of base.live) args.splice(3, 0, '--ro-bind', `/${dir}`, `/${dir}`);
  const bareArgs = [
    ...args,
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup',
    '--new-session',
    '--die-with-parent',
    '--cap-drop',
    'ALL',
    '--',
    'true',
  ];
  const bare = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run('bwrap', bareArgs);
    bare.push(performance.now() - t0);
  }

  // (c)
  await setTimeout(500);
  const before = memAvailable();
  const boxes = [];
  for (let i = 0; i < idle; i++) boxes.push(await driver.create({}));
  await setTimeout(1000);
  const after = memAvailable();
  let charged = 0;
  for (const b of boxes) charged += (await b.stats()).memoryBytes;
  const pss = groupPss();
  for (const b of boxes) await b.destroy();

  const ratio = quantile(total, 0.5) / quantile(bare, 0.5);
  const coldFirst = create.map((c, i) => c + exec[i]);
  const perBox = (before - after) / idle / 1024 / 1024;
  console.log(
    `\nruns: ${runs}, idle sandboxes: ${idle}, cpus: ${(await import('node:os')).availableParallelism()}`,
  );
  console.log(`(a) create → exec true → destroy   ${summary(total)}`);
  console.log(`      create                         ${summary(create)}`);
  console.log(`      first exec of true             ${summary(exec)}`);
  console.log(`      destroy                        ${summary(destroy)}`);
  console.log(`    create → first exec returns        ${summary(coldFirst)}`);
  console.log(`(a') warm pool: create → first exec  ${summary(warmFirst)}`);
  console.log(`      with destroy                   ${summary(warmTotal)}`);
  console.log(`      back to back (pool refilling)  ${summary(backToBack)} (create → first exec)`);
  console.log(`(b) bare bwrap … true               ${summary(bare)}`);
  const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);
  console.log(
    `(c) ${idle} idle sandboxes, per sandbox: charged to its cgroups ${mib(charged / idle)} MiB ` +
      `(processes, kernel objects, page cache of its disk); processes' PSS ${mib(pss / idle)} MiB; ` +
      `host MemAvailable drop ${perBox.toFixed(1)} MiB (noisy: other load on the host moves it)`,
  );
  console.log(`ratio (a)/(b) at p50: ${ratio.toFixed(1)}×`);
  const warmRatio = quantile(warmFirst, 0.5) / quantile(bare, 0.5);
  const warmP50 = quantile(warmFirst, 0.5);
  console.log(
    `warm pool, create → first exec / bare at p50: ${warmRatio.toFixed(1)}× ` +
      `(goal <= 3×: ${warmRatio <= 3 ? 'met' : 'not met'}); ${ms(warmP50)} (goal <= 50 ms: ${warmP50 <= 50 ? 'met' : 'not met'})`,
  );
} finally {
  rmSync(dataDir, { recursive: true, force: true });
  // The group's (now empty) cgroup directories, wherever this host mounts them.
  const remove = (dir, depth) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === group) rmdirSync(path);
      else if (depth < 4) remove(path, depth + 1);
    }
  };
  remove('/sys/fs/cgroup', 0);
}
