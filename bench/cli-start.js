#!/usr/bin/env node
// bench/cli-start: how long `hangar` commands take as whole processes, against bare
// `node -e 0` (the floor any Node CLI pays), measured in the same run, interleaved.
// Run after `npm run build` (as root for the sandbox line):
//   node bench/cli-start.js [--runs 20] [--sandbox-runs 10]
//
// `hangar tasks` and `hangar env list` talk to a loopback stand-in that answers empty
// lists at once, so what is timed is the CLI's own start, not a server's work.
// `hangar sandbox run -- true` is set against `srt true` (sandbox-runtime, if on PATH
// or SRT=path) or, without it, against bare `bwrap … true`, and says which.
import { spawn, spawnSync } from 'node:child_process';
import console from 'node:console';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const hangar = fileURLToPath(new URL('../bin/hangar.js', import.meta.url));
if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) {
  console.error('Run `npm run build` first: this benchmark runs the built CLI.');
  process.exit(1);
}
const flag = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
};
const runs = flag('--runs', 20);
const sandboxRuns = flag('--sandbox-runs', 10);

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * One run of a command: wall time and CPU time (user + sys, from bash's `time`), in ms.
 * On a shared machine the CPU time is the steadier figure: waiting for a core is not in it.
 */
function time(command, args, env) {
  const script = 'TIMEFORMAT="%R %U %S"; { time "$@" >/dev/null 2>&1; } 2>&1';
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script, 'bash', command, ...args], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env,
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const [real, user, sys] = out.trim().split(/\s+/).slice(-3).map(Number);
      if (code === 0) resolve({ wall: real * 1000, cpu: (user + sys) * 1000 });
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
    });
  });
}

const stub = createServer((req, res) => {
  const body = req.url?.startsWith('/api/v1/environments')
    ? { environments: [] }
    : req.url?.startsWith('/api/v1/sessions')
      ? { sessions: [] }
      : undefined;
  res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? { error: { code: 'not_found', message: 'no' } }));
});
await new Promise((resolve) => stub.listen(0, '127.0.0.1', resolve));
const home = mkdtempSync(join(tmpdir(), 'hangar-bench-cli-'));
const env = {
  PATH: process.env.PATH,
  HOME: home,
  HANGAR_DATA_DIR: join(home, 'data'),
  HANGAR_SERVER: `http://127.0.0.1:${stub.address().port}`,
  HANGAR_TOKEN: 'bench',
};

const commands = [
  { name: 'node -e 0 (floor)', command: process.execPath, args: ['-e', '0'] },
  { name: 'hangar --help', command: process.execPath, args: [hangar, '--help'] },
  { name: 'hangar tasks', command: process.execPath, args: [hangar, 'tasks'] },
  { name: 'hangar env list', command: process.execPath, args: [hangar, 'env', 'list'] },
];
try {
  const times = Object.fromEntries(commands.map((c) => [c.name, []]));
  for (const c of commands) await time(c.command, c.args, env); // warm the page cache
  for (let i = 0; i < runs; i++) {
    for (const c of commands) times[c.name].push(await time(c.command, c.args, env));
  }
  const wall = (name) => median(times[name].map((t) => t.wall));
  const cpu = (name) => median(times[name].map((t) => t.cpu));
  const floor = commands[0].name;
  console.log(`bench/cli-start: whole process, median of ${runs} interleaved runs (wall / CPU)`);
  for (const c of commands) {
    const own = cpu(c.name) - cpu(floor);
    const verdict =
      c.name === floor
        ? ''
        : `  own ${(wall(c.name) - wall(floor)).toFixed(0)} ms wall, ${own.toFixed(0)} ms CPU ` +
          `(goal <= 150 ms: ${own <= 150 ? 'met' : 'not met'} by CPU)`;
    console.log(
      `  ${c.name.padEnd(20)} ${wall(c.name).toFixed(0).padStart(5)} ms / ${cpu(c.name).toFixed(0).padStart(4)} ms${verdict}`,
    );
  }
  if (process.getuid?.() === 0) await sandboxLine();
  else console.log('  (sandbox run skipped: run as root)');
} finally {
  stub.close();
  rmSync(home, { recursive: true, force: true });
}

async function sandboxLine() {
  const srt = process.env.SRT || (spawnSync('srt', ['--version']).status === 0 ? 'srt' : undefined);
  const anchor = srt
    ? { name: 'srt true', command: srt, args: ['true'] }
    : {
        name: 'bare bwrap true',
        command: 'bwrap',
        args: ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-all', 'true'],
      };
  if (!srt)
    console.log('  (srt not found: the anchor is bare bwrap; set SRT= or install sandbox-runtime)');
  const run = {
    name: 'hangar sandbox run -- true',
    command: process.execPath,
    args: [hangar, 'sandbox', 'run', '--', 'true'],
  };
  const times = { [run.name]: [], [anchor.name]: [] };
  await time(run.command, run.args, env); // the base and disk template, made once
  for (let i = 0; i < sandboxRuns; i++) {
    for (const c of [run, anchor]) times[c.name].push(await time(c.command, c.args, env));
  }
  const wall = (name) => median(times[name].map((t) => t.wall));
  const ratio = wall(run.name) / wall(anchor.name);
  console.log(
    `  ${run.name} ${wall(run.name).toFixed(0)} ms, ${anchor.name} ${wall(anchor.name).toFixed(0)} ms ` +
      `(wall, median of ${sandboxRuns}): ${ratio.toFixed(2)}×  (goal <= 0.5× srt: ${srt && ratio <= 0.5 ? 'met' : 'not met'})`,
  );
}
