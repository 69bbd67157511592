import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wireProblems } from '../../fixtures/github/openapi-check.js';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { repoWithCommits } from '../git/test-repo.js';
import type { Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createUser } from '../store/users.js';
import { REFRESH_BEFORE_MS } from './app-tokens.js';
import { githubClient } from './client.js';
import { githubConfigFrom } from './config.js';
import { createGitHub, type GitHub } from './github.js';
import { parseGitHubRepo } from './repo-ref.js';
import { loadSecretKey } from './secret-box.js';

// Hangar's GitHub code against the stand-in, reached only through HANGAR_GITHUB_URL and
// HANGAR_GITHUB_API_URL (the same path as github.com), on a real store.
let gh: GitHubStandIn;
let store: Store;
let dir: string;
let octoToken: string;
let now = new Date();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hangar-github-'));
  [gh, store] = await Promise.all([startGitHubStandIn(), openTestStore()]);
  octoToken = gh.addUser('octo');
  gh.addUser('reader');
  repoWithCommits(join(dir, 'src'), 'first');
  for (const name of ['acme/app', 'acme/other', 'solo/tool']) {
    gh.createRepo(name, {
      from: join(dir, 'src'),
      collaborators: { octo: 'write', reader: 'read' },
    });
  }
});

afterAll(async () => {
  await Promise.all([gh.close(), store.close()]);
  rmSync(dir, { recursive: true, force: true });
});

function hangarGitHub(env: NodeJS.ProcessEnv = {}, withApp = false): GitHub {
  const config = githubConfigFrom({
    HANGAR_GITHUB_URL: gh.webUrl,
    HANGAR_GITHUB_API_URL: gh.apiUrl,
    ...(withApp
      ? {
          HANGAR_GITHUB_APP_ID: String(gh.app.id),
          HANGAR_GITHUB_APP_PRIVATE_KEY: gh.app.privateKey,
        }
      : {}),
    ...env,
  });
  return createGitHub({
    config,
    db: store.db,
    secretKey: () => loadSecretKey(dir, {}),
    clock: () => now,
  });
}

const ref = (name: string) => {
  const parsed = parseGitHubRepo(name, { webUrl: gh.webUrl });
  if (!parsed) throw new Error(name);
  return parsed;
};

const user = (name: string) => createUser(store.db, { name, isAdmin: false });

describe(`a user's own token (${process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite'})`, () => {
  it('is checked with GET /user, stored sealed, and gives push access to their repos', async () => {
    const github = hangarGitHub();
    const alice = await user('alice');
    expect(await github.status(alice.id)).toEqual({ connected: false, login: null, via: null });
    expect(await github.connectToken(alice.id, octoToken)).toEqual({ login: 'octo' });
    expect(await github.status(alice.id)).toEqual({ connected: true, login: 'octo', via: 'token' });
    const rows = await store.db.execute(sql`select * from github_tokens`);
    expect(JSON.stringify(rows)).toContain('octo');
    expect(JSON.stringify(rows)).not.toContain(octoToken);

    const access = await github.resolveRepoAccess(alice.id, ref('acme/app'));
    expect(access.repo).toMatchObject({
      owner: 'acme',
      repo: 'app',
      defaultBranch: 'main',
      private: true,
    });
    expect(access.credential.via).toBe('token');
    expect(await access.credential.token()).toBe(octoToken);

    const repos = await github.listRepos(alice.id, 'ACME');
    expect(repos.map((r) => [r.fullName, r.via])).toEqual([
      ['acme/app', 'token'],
      ['acme/other', 'token'],
    ]);
    expect(await github.disconnect(alice.id)).toBe(true);
    expect(await github.disconnect(alice.id)).toBe(false);
    expect(await github.status(alice.id)).toEqual({ connected: false, login: null, via: null });
  });

  it('refuses a bad token before storing anything', async () => {
    const github = hangarGitHub();
    const bob = await user('bob');
    const revoked = gh.createToken('octo');
    gh.revokeToken(revoked);
    for (const token of ['ghp_not-a-token', revoked]) {
      await expect(github.connectToken(bob.id, token)).rejects.toMatchObject({
        status: 400,
        message: expect.stringMatching(
          /^token: GitHub at .* does not accept this token/,
        ) as unknown,
      });
    }
    expect(await github.status(bob.id)).toMatchObject({ connected: false });
  });

  it('says what to do when the repo is missing, read-only, or the token was revoked', async () => {
    const github = hangarGitHub();
    const carol = await user('carol');
    await github.connectToken(carol.id, gh.createToken('reader'));
    await expect(github.resolveRepoAccess(carol.id, ref('acme/app'))).rejects.toMatchObject({
      code: 'github_no_push_access',
      status: 403,
      message: expect.stringMatching(
        /reader can read acme\/app but not push.*ask an admin of acme\/app for write access/,
      ) as unknown,
    });
    await expect(github.resolveRepoAccess(carol.id, ref('acme/missing'))).rejects.toMatchObject({
      code: 'github_repo_not_found',
      status: 404,
    });
    const dave = await user('dave');
    const token = gh.createToken('octo');
    await github.connectToken(dave.id, token);
    gh.revokeToken(token);
    await expect(github.resolveRepoAccess(dave.id, ref('acme/app'))).rejects.toMatchObject({
      code: 'github_token_invalid',
      message: expect.stringMatching(/revoked or expired.*hangar github login/) as unknown,
    });
    await expect(github.listRepos(dave.id, '')).rejects.toMatchObject({
      code: 'github_token_invalid',
    });
    const erin = await user('erin');
    await expect(github.resolveRepoAccess(erin.id, ref('acme/app'))).rejects.toMatchObject({
      code: 'github_not_connected',
      message: expect.stringMatching(/hangar github login/) as unknown,
    });
  });

  it('is refused, and ignored, when the operator turned token sign-in off', async () => {
    const frank = await user('frank');
    await hangarGitHub().connectToken(frank.id, octoToken);
    const appOnly = hangarGitHub({ HANGAR_GITHUB_TOKEN_LOGIN: 'off' });
    await expect(appOnly.connectToken(frank.id, octoToken)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/HANGAR_GITHUB_TOKEN_LOGIN=off/) as unknown,
    });
    expect(await appOnly.status(frank.id)).toEqual({ connected: false, login: null, via: null });
    await expect(appOnly.resolveRepoAccess(frank.id, ref('acme/app'))).rejects.toMatchObject({
      code: 'github_not_connected',
    });
  });
});

describe('the GitHub App', () => {
  it('gives a token for the one repo with the session permissions, minted again before expiry', async () => {
    const installation = gh.installApp('acme', { repos: ['acme/app', 'acme/other'] });
    const github = hangarGitHub({}, true);
    const gina = await user('gina');
    expect(await github.status(gina.id)).toEqual({ connected: true, login: null, via: 'app' });
    const access = await github.resolveRepoAccess(gina.id, ref('acme/app'));
    expect(access.credential.via).toBe('app');
    const token = await access.credential.token();
    expect(token).toMatch(/^ghs_/);
    expect(await access.credential.token()).toBe(token);
    // Scoped to acme/app alone, though the installation also covers acme/other.
    const scoped = githubClient({ apiUrl: gh.apiUrl }, token);
    await scoped.rest.repos.get({ owner: 'acme', repo: 'app' });
    await expect(scoped.rest.repos.get({ owner: 'acme', repo: 'other' })).rejects.toMatchObject({
      status: 404,
    });
    const minted = gh.exchanges.filter(
      (e) => e.route === '/app/installations/{installation_id}/access_tokens' && e.status === 201,
    );
    expect(minted.at(-1)?.body).toMatchObject({
      permissions: {
        contents: 'write',
        pull_requests: 'write',
        issues: 'write',
        checks: 'read',
        statuses: 'read',
      },
      repositories: [expect.objectContaining({ full_name: 'acme/app' })],
    });
    now = new Date(Date.now() + 60 * 60 * 1000 - REFRESH_BEFORE_MS + 1000);
    const fresh = await access.credential.token();
    now = new Date();
    expect(fresh).not.toBe(token);
    const repos = await github.listRepos(gina.id, '');
    expect(repos.map((r) => [r.fullName, r.via])).toEqual([
      ['acme/app', 'app'],
      ['acme/other', 'app'],
    ]);
    gh.uninstallApp(installation);
  });

  it('names the App install page when it is not on the repo, and falls back to the user token', async () => {
    const github = hangarGitHub({}, true);
    const hank = await user('hank');
    await expect(github.resolveRepoAccess(hank.id, ref('solo/tool'))).rejects.toMatchObject({
      code: 'github_app_not_installed',
      status: 403,
      message: expect.stringContaining(
        `install the GitHub App on solo/tool (${gh.webUrl}/apps/hangar-test/installations/new)`,
      ) as unknown,
    });
    await github.connectToken(hank.id, octoToken);
    const access = await github.resolveRepoAccess(hank.id, ref('solo/tool'));
    expect(access.credential.via).toBe('token');
  });

  it('says the installation must accept the permissions a session needs', async () => {
    const installation = gh.installApp('solo', {
      permissions: { contents: 'read', metadata: 'read', pull_requests: 'write' },
    });
    const ivy = await user('ivy');
    await expect(
      hangarGitHub({}, true).resolveRepoAccess(ivy.id, ref('solo/tool')),
    ).rejects.toMatchObject({
      code: 'github_app_permissions',
      message: expect.stringMatching(/must accept the App's permissions/) as unknown,
    });
    gh.uninstallApp(installation);
  });

  it('reports a wrong App key as the operator’s to fix', async () => {
    const other = await startGitHubStandIn();
    try {
      const github = hangarGitHub({
        HANGAR_GITHUB_APP_ID: String(gh.app.id),
        HANGAR_GITHUB_APP_PRIVATE_KEY: other.app.privateKey,
      });
      const jack = await user('jack');
      await expect(github.resolveRepoAccess(jack.id, ref('acme/app'))).rejects.toMatchObject({
        code: 'github_app_misconfigured',
        status: 503,
      });
    } finally {
      await other.close();
    }
  });
});

describe('the stand-in', () => {
  it("answered all of this in GitHub's wire format", () => {
    expect(gh.exchanges.flatMap(wireProblems)).toEqual([]);
  });
});
