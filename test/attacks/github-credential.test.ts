/**
 * Attack: find the GitHub credential from inside a real sandbox. The sandbox clones a
 * private repo of the GitHub stand-in through the gateway's git proxy, which adds the
 * credential on the host (a user's token, or an App installation token for that one
 * repo); the token must then be nowhere a sandboxed process can look: its environment,
 * its files, the process list, git's config and trace output, the proxy's answers.
 * Needs root, as every sandbox suite does.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../fixtures/github/stand-in.js';
import { policyFor } from '../../src/gateway/egress-policy.js';
import { createGateway, gatewayOptionsFrom, type Gateway } from '../../src/gateway/gateway.js';
import type { GitUpstream } from '../../src/gateway/git-proxy.js';
import { githubConfigFrom } from '../../src/github/config.js';
import { createGitHub, githubUpstream, type GitHub } from '../../src/github/github.js';
import { parseGitHubRepo } from '../../src/github/repo-ref.js';
import { loadSecretKey } from '../../src/github/secret-box.js';
import { sessionUpstream, type GitHubAccessFailure } from '../../src/github/session-upstream.js';
import { gitAs } from '../../src/git/test-repo.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../../src/store/test-store.js';
import { createUser } from '../../src/store/users.js';
import { credentialScanScript, expectNoCredential } from '../e2e/credential-scan.js';
import { GATEWAY_PORT, shOut as sh, withGatewaySandbox } from '../e2e/gateway-helpers.js';

const dataDir = mkdtempSync(join(tmpdir(), 'hangar-attack-github-'));
let gh: GitHubStandIn;
let store: Store;
let github: GitHub;
let gateway: Gateway;
let driver: LocalDriver;
let userToken: string;
let userId: string;
let repoKey: string;
let bare: string;

beforeAll(async () => {
  if (process.getuid?.() !== 0) throw new Error('This suite runs sandboxes: run it as root.');
  [gh, store] = await Promise.all([startGitHubStandIn(), openTestStore()]);
  userToken = gh.addUser('octo');
  const src = join(dataDir, 'src');
  execFileSync('git', ['init', '-q', '-b', 'main', src]);
  gitAs(src, 'commit', '-q', '--allow-empty', '-m', 'secret work');
  bare = gh.createRepo('acme/app', { from: src, collaborators: { octo: 'write' } }).bare;
  gh.createRepo('acme/other', { from: src, collaborators: { octo: 'write' } });
  github = createGitHub({
    config: githubConfigFrom(gh.hangarEnv),
    db: store.db,
    secretKey: () => loadSecretKey(dataDir, {}),
  });
  userId = (await createUser(store.db, { name: 'octo', isAdmin: false })).id;
  await github.connectToken(userId, userToken);
  // The stand-in is on loopback: reachable only because HANGAR_GITHUB_URL names it.
  gateway = createGateway(gatewayOptionsFrom(gh.hangarEnv));
  driver = new LocalDriver({ dataDir, cgroupGroup: `hangar-attack-github-${process.pid}` });
  repoKey = `${new URL(gh.webUrl).host}/acme/app`;
}, 120_000);

afterAll(async () => {
  await gateway.close();
  await Promise.all([gh.close(), store.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const proxied = (key: string) => `http://127.0.0.1:${GATEWAY_PORT}/git/${key}.git`;

async function withRepo(
  upstream: GitUpstream,
  branch: string,
  body: (box: Sandbox) => Promise<void>,
): Promise<void> {
  await withGatewaySandbox(
    gateway,
    driver,
    dataDir,
    { policy: policyFor({ level: 'none' }, []), repos: { [repoKey]: upstream }, branch },
    (box) => body(box),
  );
}

/** Every place in the sandbox a process could read the token from, as one text. */
async function everythingVisible(box: Sandbox): Promise<string> {
  return (await sh(box, credentialScanScript('/home/user/app'))).out;
}

describe.each(['token', 'app'] as const)("a session's GitHub credential (%s)", (via) => {
  it('clones a private repo and pushes its branch, while the token is nowhere in the sandbox', async () => {
    const installation = via === 'app' ? gh.installApp('acme', { repos: ['acme/app'] }) : undefined;
    try {
      const ref = parseGitHubRepo('acme/app', { webUrl: gh.webUrl });
      if (!ref) throw new Error('acme/app');
      const access = await github.resolveRepoAccess(userId, ref);
      expect(access.credential.via).toBe(via);
      const secret = await access.credential.token();
      if (via === 'app') expect(secret).not.toBe(userToken);

      const branch = `hangar/fix-${via}`;
      await withRepo(githubUpstream(access), branch, async (box) => {
        const clone = await sh(
          box,
          `git clone -q ${proxied(repoKey)} /home/user/app 2>&1 && git -C /home/user/app log --format=%s`,
        );
        expect(clone).toEqual({ code: 0, out: 'secret work\n' });

        const push = await sh(
          box,
          `cd /home/user/app && git checkout -q -b ${branch} &&
           git -c user.name=a -c user.email=a@x commit -q --allow-empty -m agent &&
           git push -q origin HEAD 2>&1`,
        );
        expect(push).toEqual({ code: 0, out: '' });
        const head = (await sh(box, 'git -C /home/user/app rev-parse HEAD')).out.trim();
        expect(
          execFileSync('git', ['rev-parse', `refs/heads/${branch}`], {
            cwd: bare,
            encoding: 'utf8',
          }).trim(),
        ).toBe(head);

        const other = await sh(box, 'cd /home/user/app && git push origin HEAD:main 2>&1');
        expect(other.code).not.toBe(0);
        expect(other.out).toMatch(
          /\[remote rejected\] HEAD -> main \(this session may push only to/,
        );

        const elsewhere = await sh(
          box,
          `git ls-remote ${proxied(`${new URL(gh.webUrl).host}/acme/other`)} 2>&1; curl -sS "${proxied(`${new URL(gh.webUrl).host}/acme/other`)}/info/refs?service=git-upload-pack"`,
        );
        expect(elsewhere.out).toMatch(/is not a repository of this session/);

        expectNoCredential(await everythingVisible(box), [secret, userToken]);
      });
    } finally {
      if (installation !== undefined) gh.uninstallApp(installation);
    }
    // The first sandbox of a run can take half a minute on a loaded machine.
  }, 120_000);
});

describe('a credential that cannot be had', () => {
  it("refuses the request with the host's reason, and sends nothing upstream", async () => {
    const before = gh.exchanges.length;
    const upstream: GitUpstream = {
      url: `${gh.webUrl}/acme/app.git`,
      credential: () =>
        Promise.reject(new Error('GitHub no longer accepts the token of octo: connect again')),
    };
    await withRepo(upstream, 'hangar/none', async (box) => {
      const clone = await sh(box, `git clone -q ${proxied(repoKey)} /tmp/app 2>&1`);
      expect(clone.code).not.toBe(0);
      const answer = await sh(
        box,
        `curl -sS -w ' %{http_code}' "${proxied(repoKey)}/info/refs?service=git-upload-pack"`,
      );
      expect(answer.out).toMatch(
        /no credential for 127\.0\.0\.1:\d+: GitHub no longer accepts the token of octo: connect again\n? 502$/,
      );
    });
    expect(gh.exchanges.length).toBe(before);
  });
});

describe('a credential GitHub stops taking in the middle of a session', () => {
  it('tells git and the session what to do, once per reason, and works again once reconnected', async () => {
    const ref = parseGitHubRepo('acme/app', { webUrl: gh.webUrl });
    if (!ref) throw new Error('acme/app');
    const carolId = (await createUser(store.db, { name: 'carol', isAdmin: false })).id;
    gh.addUser('carol');
    const first = gh.createToken('carol');
    gh.createRepo('carol/app', { from: join(dataDir, 'src') });
    await github.connectToken(carolId, first);
    const carolRef = parseGitHubRepo('carol/app', { webUrl: gh.webUrl });
    if (!carolRef) throw new Error('carol/app');
    const reports: GitHubAccessFailure[] = [];
    const upstream = sessionUpstream(github, carolId, carolRef, (f) => reports.push(f));
    const key = `${new URL(gh.webUrl).host}/carol/app`;
    await withGatewaySandbox(
      gateway,
      driver,
      dataDir,
      {
        policy: policyFor({ level: 'none' }, []),
        repos: { [key]: upstream },
        branch: 'hangar/work',
      },
      async (box) => {
        const clone = await sh(box, `git clone -q ${proxied(key)} /home/user/app 2>&1`);
        expect(clone).toEqual({ code: 0, out: '' });

        gh.revokeToken(first);
        const push = await sh(
          box,
          `cd /home/user/app && git checkout -q -b hangar/work && git push origin HEAD 2>&1`,
        );
        expect(push.code).not.toBe(0);
        expect(push.out).toMatch(
          /remote: Hangar: GitHub no longer accepts the token of carol \(revoked or expired\): connect again with `hangar github login`/,
        );
        expect(push.out).not.toMatch(/could not read Username|Authentication failed/);
        const fetch = await sh(box, 'cd /home/user/app && git fetch origin 2>&1');
        expect(fetch.out).toMatch(/connect again with `hangar github login`/);
        expect(reports).toEqual([
          {
            repo: 'carol/app',
            code: 'github_token_invalid',
            message: expect.stringMatching(
              /^GitHub no longer accepts the token of carol/,
            ) as unknown,
          },
        ]);

        // Connected again: the same session's git works, with the new token.
        await github.connectToken(carolId, gh.createToken('carol'));
        const again = await sh(box, 'cd /home/user/app && git push -q origin HEAD 2>&1');
        expect(again).toEqual({ code: 0, out: '' });

        // A token that may only read the code (fine-grained, contents: read): said so.
        await github.connectToken(carolId, gh.createToken('carol', { contents: 'read' }));
        const readOnly = await sh(
          box,
          'cd /home/user/app && git push origin HEAD:hangar/work 2>&1',
        );
        expect(readOnly.code).not.toBe(0);
        expect(readOnly.out).toMatch(
          /remote: Hangar: GitHub refused this session's push to carol\/app \(HTTP 403: Permission to carol\/app\.git denied to carol\.\): connect a token that may write/,
        );
        expect(reports.map((r) => r.code)).toEqual(['github_token_invalid', 'github_push_refused']);
      },
    );
  });

  it('names the App to install again when it is removed from the repo', async () => {
    const ref = parseGitHubRepo('acme/app', { webUrl: gh.webUrl });
    if (!ref) throw new Error('acme/app');
    const daveId = (await createUser(store.db, { name: 'dave', isAdmin: false })).id;
    const installation = gh.installApp('acme', { repos: ['acme/app'] });
    const reports: GitHubAccessFailure[] = [];
    const upstream = sessionUpstream(github, daveId, ref, (f) => reports.push(f));
    await withRepo(upstream, 'hangar/app-work', async (box) => {
      const clone = await sh(box, `git clone -q ${proxied(repoKey)} /home/user/app 2>&1`);
      expect(clone).toEqual({ code: 0, out: '' });
      gh.uninstallApp(installation);
      const fetch = await sh(box, 'cd /home/user/app && git fetch origin 2>&1');
      expect(fetch.code).not.toBe(0);
      expect(fetch.out).toMatch(/remote: Hangar: .*install the GitHub App on acme\/app \(http/);
      expect(reports.map((r) => r.code)).toEqual(['github_app_not_installed']);
    });
  });
});
