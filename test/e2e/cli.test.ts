import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, runHangar, startServe, type RunResult, type Serving } from './hangar.js';

const mode = (path: string) => statSync(path).mode & 0o777;

/** An ESM loader hook that writes down every module Node loads, to the file $MODULE_LOG. */
const MODULE_LOG_HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.MODULE_LOG, url + '\\n');
  return next(url, context);
}`;
const dataUrl = (code: string) => `data:text/javascript,${encodeURIComponent(code)}`;
const REGISTER_HOOKS = `import { register } from 'node:module';
register(${JSON.stringify(dataUrl(MODULE_LOG_HOOKS))});`;

/** Runs `hangar ARGS…` and answers its result with the URLs of the modules it loaded. */
async function runWatchingModules(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<RunResult & { modules: string[] }> {
  const log = join(mkdtempSync(join(tmpdir(), 'hangar-modules-')), 'modules.log');
  const result = await runHangar(args, {
    ...env,
    NODE_OPTIONS: `--import=${dataUrl(REGISTER_HOOKS)}`,
    MODULE_LOG: log,
  });
  const modules = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  return { ...result, modules };
}

/**
 * The server's own code (and the agents' installer) and the packages only it uses: what
 * a client command must not load. The agents' local parts (teleport's continue command)
 * are the CLI's to load.
 */
const SERVER_CODE =
  /\/dist\/((server|store|sessions|sandbox|gateway)\/|agents\/install\.js)|\/node_modules\/(hono|@hono|@electric-sql|drizzle-orm|pg|pino)\//;

/**
 * The README's CLI table as command → its subcommands: `hangar env list`, `hangar env show`
 * … give `env` → {list, show, …}; a command whose next word is a flag or an argument has none.
 */
function readmeCommands(): Map<string, Set<string>> {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## CLI\n'), readme.indexOf('\n## HTTP API\n'));
  const commands = new Map<string, Set<string>>();
  for (const row of section.split('\n').filter((line) => line.startsWith('| `hangar '))) {
    const cell = row.split(/(?<!\\)\|/)[1] ?? '';
    for (const usage of cell.matchAll(/`hangar ([^`]*)`/g)) {
      const [command, next] = (usage[1] ?? '').split(' ');
      if (!command || command.startsWith('-')) continue;
      const subcommands = commands.get(command) ?? new Set<string>();
      if (next && /^[a-z][a-z-]*$/.test(next)) subcommands.add(next);
      commands.set(command, subcommands);
    }
  }
  return commands;
}

/** The command names a commander `--help` lists under "Commands:". */
function helpCommands(help: string): string[] {
  const commands = help.slice(help.indexOf('Commands:'));
  return [...commands.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((match) => match[1] ?? '');
}

describe('hangar --help', () => {
  it('lists every command the README documents, and documents every command it lists', async () => {
    const documented = readmeCommands();
    const { code, stdout } = await runHangar(['--help'], isolatedEnv());
    expect(code).toBe(0);
    const listed = helpCommands(stdout).filter((name) => name !== 'help');
    expect([...documented.keys()].sort()).toEqual(listed.sort());
    for (const [command, subcommands] of documented) {
      if (subcommands.size === 0) continue;
      const help = await runHangar([command, '--help'], isolatedEnv());
      expect(help.code).toBe(0);
      const offered = helpCommands(help.stdout).filter((name) => name !== 'help');
      expect([...subcommands].sort(), `hangar ${command} --help`).toEqual(offered.sort());
    }
  });

  it('says what is wrong with a bad command or configuration', async () => {
    const unknown = await runHangar(['frobnicate'], isolatedEnv());
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);

    const badPort = await runHangar(['serve'], isolatedEnv({ HANGAR_PORT: 'eighty' }));
    expect(badPort.code).toBe(1);
    expect(badPort.stderr).toMatch(/^hangar: HANGAR_PORT: must be a port number/m);

    const notLoggedIn = await runHangar(['env', 'list'], isolatedEnv());
    expect(notLoggedIn.code).toBe(1);
    expect(notLoggedIn.stderr).toMatch(
      /Not logged in[\s\S]*hangar login --server URL --token TOKEN/,
    );
  });
});

describe('what hangar loads', () => {
  it('loads no server code for help, and the server only for serve', async () => {
    const help = await runWatchingModules(['--help'], isolatedEnv());
    expect(help.code, help.stderr).toBe(0);
    // The hook saw the CLI load, so an empty list below is not a hook that saw nothing.
    expect(help.modules.some((url) => url.endsWith('/dist/cli/main.js'))).toBe(true);
    expect(help.modules.filter((url) => SERVER_CODE.test(url))).toEqual([]);

    for (const command of ['env', 'tasks', 'teleport', 'logs', 'remote', 'sandbox']) {
      const sub = await runWatchingModules([command, '--help'], isolatedEnv());
      expect(sub.code, sub.stderr).toBe(0);
      expect(sub.modules.filter((url) => SERVER_CODE.test(url))).toEqual([]);
    }

    const serve = await runWatchingModules(['serve'], isolatedEnv({ HANGAR_PORT: 'eighty' }));
    expect(serve.code).toBe(1);
    expect(serve.modules.some((url) => url.endsWith('/dist/server/serve.js'))).toBe(true);
  });
});

describe('hangar serve and the CLI against it', () => {
  let env: NodeJS.ProcessEnv;
  let server: Serving;
  let adminToken: string;

  beforeAll(async () => {
    env = isolatedEnv();
    server = await startServe(env);
    adminToken = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
  });
  afterAll(async () => {
    await server.stop();
  });

  const hangar = (...args: string[]) => runHangar(args, env);

  it('writes the admin token to a 0600 file, prints its path and never the token', () => {
    const dataDir = env.HANGAR_DATA_DIR ?? '';
    expect(mode(join(dataDir, 'admin-token'))).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
    const { stdout, stderr } = server.output();
    expect(stderr).toContain(join(dataDir, 'admin-token'));
    expect(stdout + stderr).not.toContain(adminToken);
  });

  it('refuses a second server on the same data dir', async () => {
    const second = await hangar('serve', '--port', '0');
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/Another hangar serve \(pid \d+\) is using/);
  });

  it('logs in, checking the token first, and saves the config with mode 0600', async () => {
    const wrong = await hangar('login', '--server', server.url, '--token', 'hgr_wrong');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/Invalid token/);

    const unreachable = await hangar(
      'login',
      '--server',
      'http://127.0.0.1:9',
      '--token',
      adminToken,
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/Cannot reach Hangar at http:\/\/127\.0\.0\.1:9/);

    const ok = await hangar('login', '--server', server.url, '--token', adminToken);
    expect(ok.stdout).toMatch(/Logged in to .* as admin/);
    const config = join(env.HOME ?? '', '.config', 'hangar', 'config.json');
    expect(mode(config)).toBe(0o600);
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({
      server: server.url,
      token: adminToken,
    });
  });

  it('manages environments end to end', async () => {
    const dir = env.HOME ?? '';
    writeFileSync(
      join(dir, 'py.env'),
      'PIP_INDEX_URL="https://pypi.example/simple"\n# note\nDEBUG=1\n',
    );
    writeFileSync(join(dir, 'setup.sh'), '#!/bin/bash\napt-get install -y gh\n');

    const created = await hangar(
      'env',
      'create',
      '--name',
      'Python',
      '--network',
      'custom',
      '--allow',
      '*.PyPI.org',
      '--allow',
      'files.pythonhosted.org:443',
      '--include-defaults',
      '--env-file',
      join(dir, 'py.env'),
      '--setup-script',
      join(dir, 'setup.sh'),
      '--agent',
      'codex',
    );
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/Created environment "Python" \(env_/);

    const show = await hangar('env', 'show', 'python', '--json');
    expect(JSON.parse(show.stdout)).toMatchObject({
      name: 'Python',
      networkLevel: 'custom',
      allowlist: ['*.pypi.org', 'files.pythonhosted.org:443'],
      includeDefaults: true,
      envVars: 'PIP_INDEX_URL="https://pypi.example/simple"\n# note\nDEBUG=1\n',
      setupScript: '#!/bin/bash\napt-get install -y gh\n',
      defaultAgent: 'codex',
    });
    const human = await hangar('env', 'show', 'Python');
    expect(human.stdout).toContain('env vars: PIP_INDEX_URL, DEBUG');
    expect(human.stdout).toContain('agent:    codex\n');
    expect(human.stdout).not.toContain('pypi.example');

    expect((await hangar('env', 'edit', 'Python', '--network', 'none')).code).toBe(0);
    expect((await hangar('env', 'default', 'Python')).stdout).toMatch(/now the default/);
    const list = await hangar('env', 'list');
    expect(list.stdout).toMatch(/^\*\s+Python\s+none\s+codex\s+env_/m);
    expect(list.stdout).toMatch(
      /^\s+Default\s+trusted\s+claude-code \(the server's default\)\s+env_/m,
    );

    // `server` gives the choice back to the server.
    expect((await hangar('env', 'edit', 'Python', '--agent', 'server')).code).toBe(0);
    expect((await hangar('env', 'show', 'Python')).stdout).toContain(
      "agent:    claude-code (the server's default)",
    );

    expect((await hangar('env', 'archive', 'Default')).stdout).toMatch(
      /Archived environment "Default"/,
    );
    expect((await hangar('env', 'list')).stdout).not.toMatch(/Default/);
    expect((await hangar('env', 'list', '--archived')).stdout).toMatch(
      /Default\s+trusted\s+.*\senv_\S+\s+archived/,
    );
  });

  it('refuses bad environment input with the reason and loses nothing', async () => {
    const badPattern = await hangar(
      'env',
      'create',
      '--name',
      'Wide',
      '--network',
      'custom',
      '--allow',
      '*.com',
    );
    expect(badPattern.code).toBe(1);
    expect(badPattern.stderr).toMatch(
      /allowlist\[0\]: "\*\.com" puts a wildcard over the public suffix "com"/,
    );

    const dir = env.HOME ?? '';
    writeFileSync(join(dir, 'bad.env'), 'OK=1\nexport TOKEN=x\n');
    const badEnv = await hangar('env', 'edit', 'Python', '--env-file', join(dir, 'bad.env'));
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toMatch(
      /envVars: line 2: "export TOKEN" is not a valid name.*drop the "export"/,
    );
    const kept = JSON.parse((await hangar('env', 'show', 'Python', '--json')).stdout) as {
      envVars: string;
    };
    expect(kept.envVars).toContain('DEBUG=1');

    const missing = await hangar('env', 'edit', 'Python', '--env-file', join(dir, 'nope.env'));
    expect(missing.stderr).toMatch(/Cannot read --env-file .*nope\.env/);
    const level = await hangar('env', 'create', '--name', 'X', '--network', 'open');
    expect(level.stderr).toMatch(
      /--network "open" is not a level: use one of none, trusted, full, custom/,
    );
    const agent = await hangar('env', 'edit', 'Python', '--agent', 'aider');
    expect(agent.code).toBe(1);
    expect(agent.stderr).toMatch(/defaultAgent: must be one of claude-code, codex, opencode/);
    const unknown = await hangar('env', 'show', 'Nowhere');
    expect(unknown.stderr).toMatch(/No environment named "Nowhere"/);
    const nothing = await hangar('env', 'edit', 'Python');
    expect(nothing.stderr).toMatch(/Nothing to change/);
  });

  it('creates tokens (printed once, alone on stdout), lists and revokes them', async () => {
    const created = await hangar('token', 'create', '--name', 'ci', '--expires', '30');
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^hgr_\S+$/);
    expect(created.stderr).toMatch(/will not be shown again/);

    const viaEnv = await runHangar(['env', 'list'], {
      ...env,
      HANGAR_SERVER: server.url,
      HANGAR_TOKEN: token,
    });
    expect(viaEnv.code).toBe(0);

    const list = await hangar('token', 'list');
    const id = /^(tok_\S+)\s+ci\s/m.exec(list.stdout)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(list.stdout).not.toContain(token);
    expect((await hangar('token', 'revoke', id)).stdout).toMatch(/Revoked/);

    const revoked = await runHangar(['env', 'list'], { ...env, HANGAR_TOKEN: token });
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toMatch(/revoked/);
    expect((await hangar('token', 'create', '--name', 'x', '--expires', 'soon')).stderr).toMatch(
      /--expires "soon" is not a number of days/,
    );
  });

  it('talks to the server without loading its code', async () => {
    const list = await runWatchingModules(['env', 'list'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/Python/);
    expect(list.modules.some((url) => url.endsWith('/dist/cli/commands/env.js'))).toBe(true);
    expect(list.modules.filter((url) => SERVER_CODE.test(url))).toEqual([]);
  });

  it("prints the server's error code beside its message, and exits 1", async () => {
    const unknown = await hangar('env', 'show', 'env_0000000000000000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^hangar: No environment with id "env_0+"\. \[not_found\]$/m);

    const invalid = await hangar(
      'env',
      'create',
      '--name',
      'W',
      '--network',
      'custom',
      '--allow',
      '*',
    );
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/^hangar: allowlist\[0\]: .* \[invalid_request\]$/m);

    const wrongToken = await runHangar(['token', 'list'], { ...env, HANGAR_TOKEN: 'hgr_wrong' });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/^hangar: .*\[unauthorized\]$/m);

    const unreachable = await runHangar(['env', 'list'], {
      ...env,
      HANGAR_SERVER: 'http://127.0.0.1:9',
    });
    expect(unreachable.stderr).toMatch(/^hangar: Cannot reach Hangar at .*\[unreachable\]$/m);
  });

  it('shuts down cleanly on SIGTERM and keeps everything across a restart', async () => {
    expect(await server.stop()).toBe(0);
    server = await startServe(env);
    expect(server.output().stderr).not.toMatch(/written/);
    const list = await runHangar(['env', 'list', '--archived'], {
      ...env,
      HANGAR_SERVER: server.url,
    });
    expect(list.stdout).toMatch(/Python/);
    expect(list.stdout).toMatch(/Default/);
    expect(readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim()).toBe(
      adminToken,
    );
  });
});
