// The universal image (slow: built once per machine with the real mmdebstrap, gigabytes of
// Debian packages): check-tools lists every toolchain it carries, and a one-line program
// runs in each, as user (and PostgreSQL as root, as a setup script would start it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runHangar } from './hangar.js';
import { sharedImage } from './images.js';
import { requireSandboxHost } from './sandbox-helpers.js';

requireSandboxHost();
const env = isolatedEnv();
const dataDir = env.HANGAR_DATA_DIR ?? '';

/** Each toolchain check-tools must list with a version: [category, tool]. */
const TOOLS: [string, string][] = [
  ['Python', 'python3'],
  ['Python', 'pip3'],
  ['Python', 'poetry'],
  ['Python', 'pytest'],
  ['Python', 'black'],
  ['Python', 'mypy'],
  ['Node.js', 'node'],
  ['Node.js', 'npm'],
  ['Node.js', 'yarnpkg'],
  ['Ruby', 'ruby'],
  ['Ruby', 'gem'],
  ['Ruby', 'bundler'],
  ['PHP', 'php'],
  ['PHP', 'composer'],
  ['Java', 'java'],
  ['Java', 'javac'],
  ['Java', 'mvn'],
  ['Java', 'gradle'],
  ['Go', 'go'],
  ['Rust', 'rustc'],
  ['Rust', 'cargo'],
  ['C/C++', 'gcc'],
  ['C/C++', 'g++'],
  ['C/C++', 'clang'],
  ['C/C++', 'make'],
  ['C/C++', 'cmake'],
  ['C/C++', 'ninja'],
  ['Databases', 'psql'],
  ['Databases', 'postgres'],
  ['Databases', 'redis-server'],
  ['Databases', 'sqlite3'],
  ['Utilities', 'git'],
  ['Utilities', 'curl'],
  ['Utilities', 'jq'],
  ['Utilities', 'rg'],
  ['Utilities', 'tmux'],
];

/** A one-line program per toolchain, each printing its name and 42. */
const PROGRAMS = [
  `python3 -c 'print("python", 6*7)'`,
  `node -e 'console.log("node", 6*7)'`,
  `ruby -e 'puts "ruby #{6*7}"'`,
  `php -r 'echo "php ", 6*7, "\\n";'`,
  `echo 'class A { public static void main(String[] a) { System.out.println("java " + 6*7); } }' > A.java && java A.java`,
  `printf 'package main\\nimport "fmt"\\nfunc main() { fmt.Println("go", 6*7) }\\n' > a.go && go run a.go`,
  `echo 'fn main() { println!("rust {}", 6*7); }' > a.rs && rustc -o a-rs a.rs && ./a-rs`,
  `cargo new -q --vcs none hi && (cd hi && sed -i 's/Hello, world!/cargo 42/' src/main.rs && cargo run -q --offline)`,
  `printf '#include <stdio.h>\\nint main(void) { printf("c %%d\\\\n", 6*7); return 0; }\\n' > a.c && gcc -o a-c a.c && ./a-c`,
  `printf '#include <iostream>\\nint main() { std::cout << "c++ " << 6*7 << std::endl; }\\n' > a.cc && g++ -o a-cc a.cc && ./a-cc`,
  `echo 'task hi { doLast { println "gradle " + 6*7 } }' > build.gradle && gradle -q hi 2>/dev/null`,
  `sqlite3 :memory: 'select "sqlite", 6*7' | tr '|' ' '`,
  `redis-server --port 6390 --daemonize yes >/dev/null && until redis-cli -p 6390 ping >/dev/null 2>&1; do sleep 0.1; done && redis-cli -p 6390 set answer 42 >/dev/null && echo "redis $(redis-cli -p 6390 get answer)"`,
];

const escape = (text: string) => text.replace(/[+.]/g, '\\$&');

describe('the universal image', { tags: ['slow'] }, () => {
  // Inside the tagged suite: --tags-filter='!slow' builds nothing.
  beforeAll(async () => {
    await sharedImage(dataDir, 'universal');
  }, 45 * 60_000);

  afterAll(async () => {
    await runHangar(['image', 'rm', 'universal'], env);
  });

  it('lists every toolchain it carries in check-tools, with versions', async () => {
    const out = await runHangar(
      ['sandbox', 'run', '--image', 'universal', '--', 'check-tools'],
      env,
    );
    expect(out.code, out.stderr).toBe(0);
    for (const [category, tool] of TOOLS) {
      const row = new RegExp(`^${escape(category)}\\s+${escape(tool)}\\s+\\d+\\.\\d+`, 'm');
      expect(out.stdout, `${category} ${tool}`).toMatch(row);
    }
  });

  it('runs a one-line program in each toolchain', async () => {
    const script = `cd /tmp && ${PROGRAMS.map((p) => `(${p})`).join(' && ')}`;
    const out = await runHangar(
      ['sandbox', 'run', '--image', 'universal', '--network', 'none', '--', 'sh', '-c', script],
      env,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout.split('\n').filter(Boolean)).toEqual([
      'python 42',
      'node 42',
      'ruby 42',
      'php 42',
      'java 42',
      'go 42',
      'rust 42',
      'cargo 42',
      'c 42',
      'c++ 42',
      'gradle 42',
      'sqlite 42',
      'redis 42',
    ]);
  });

  it('starts PostgreSQL as root and answers a query', async () => {
    const out = await runHangar(
      [
        'sandbox',
        'run',
        '--image',
        'universal',
        '--root',
        '--',
        'sh',
        '-c',
        `pg_ctlcluster 15 main start && cd /tmp && su postgres -c "psql -tAc 'select 6*7'"`,
      ],
      env,
    );
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toBe('42\n');
  });
});
