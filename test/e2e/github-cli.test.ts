import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { isolatedEnv, runHangar, startServe, type Serving } from './hangar.js';

// `hangar github …` with the real binary and `hangar serve`, which reaches the GitHub
// stand-in through HANGAR_GITHUB_URL / HANGAR_GITHUB_API_URL as it would github.com.
describe('hangar github', () => {
  let gh: GitHubStandIn;
  let server: Serving;
  let env: NodeJS.ProcessEnv;
  let token: string;

  beforeAll(async () => {
    gh = await startGitHubStandIn();
    token = gh.addUser('octo');
    env = isolatedEnv();
    server = await startServe({
      ...env,
      HANGAR_GITHUB_URL: gh.webUrl,
      HANGAR_GITHUB_API_URL: gh.apiUrl,
    });
    const admin = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
    env = { ...env, HANGAR_SERVER: server.url, HANGAR_TOKEN: admin };
  });
  afterAll(async () => {
    await server.stop();
    await gh.close();
  });

  const hangar = (args: string[], stdin?: string, extra: NodeJS.ProcessEnv = {}) =>
    runHangar(['github', ...args], { ...env, ...extra }, stdin);

  it('connects a token from stdin, shows it, and forgets it', async () => {
    expect((await hangar(['status'])).stdout).toMatch(/not connected.*hangar github login/);
    const login = await hangar(['login'], `${token}\n`);
    expect(login).toMatchObject({ code: 0, stdout: 'Connected GitHub as octo.\n' });
    expect((await hangar(['status'])).stdout).toBe('GitHub: connected as octo (your token).\n');
    const json = JSON.parse((await hangar(['status', '--json'])).stdout) as unknown;
    expect(json).toEqual({ connected: true, login: 'octo', via: 'token', tokenLogin: true });
    const logout = await hangar(['logout']);
    expect(logout.stdout).toMatch(/^Your GitHub token is forgotten\. GitHub: not connected/);
  });

  it('takes the token of the GitHub CLI with --from-gh', async () => {
    const bin = join(env.HOME ?? '', 'bin');
    mkdirSync(bin, { recursive: true });
    const gh_ = join(bin, 'gh');
    writeFileSync(gh_, `#!/bin/sh\n[ "$1 $2" = "auth token" ] && echo ${token}\n`);
    chmodSync(gh_, 0o755);
    const path = `${bin}:${env.PATH ?? ''}`;
    expect(await hangar(['login', '--from-gh'], undefined, { PATH: path })).toMatchObject({
      code: 0,
      stdout: 'Connected GitHub as octo.\n',
    });
    // A PATH with node alone: no `gh` anywhere on it.
    const nodeOnly = join(env.HOME ?? '', 'node-only');
    mkdirSync(nodeOnly, { recursive: true });
    symlinkSync(process.execPath, join(nodeOnly, 'node'));
    const noGh = await hangar(['login', '--from-gh'], undefined, { PATH: nodeOnly });
    expect(noGh.code).toBe(1);
    expect(noGh.stderr).toMatch(/hangar: The GitHub CLI \(`gh`\) is not installed here/);
  });

  it('says why a token is refused, and never prints or logs one', async () => {
    const revoked = gh.createToken('octo');
    gh.revokeToken(revoked);
    const refused = await hangar(['login'], revoked);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^hangar: token: GitHub at .* does not accept this token \(revoked, expired or mistyped\)/,
    );
    const empty = await hangar(['login'], '');
    expect(empty.stderr).toMatch(/hangar: No token given/);
    const { stdout, stderr } = server.output();
    expect(stdout + stderr).not.toContain(token);
    expect(stdout + stderr).not.toContain(revoked);
  });
});
