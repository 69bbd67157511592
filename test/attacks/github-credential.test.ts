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
import { gitAs } from '../../src/git/test-repo.js';
import type { Sandbox } from '../../src/sandbox/driver.js';
import { LocalDriver } from '../../src/sandbox/local-driver.js';
import type { Store } from '../../src/store/store.js';
import { openTestStore } from '../../src/store/test-store.js';
import { createUser } from '../../src/store/users.js';
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
  const env = {
    HANGAR_GITHUB_URL: gh.webUrl,
    HANGAR_GITHUB_API_URL: gh.apiUrl,
    HANGAR_GITHUB_APP_ID: String(gh.app.id),
    HANGAR_GITHUB_APP_PRIVATE_KEY: gh.app.privateKey,
  };
  github = createGitHub({
    config: githubConfigFrom(env),
    db: store.db,
    secretKey: () => loadSecretKey(dataDir, {}),
  });
  userId = (await createUser(store.db, { name: 'octo', isAdmin: false })).id;
  await github.connectToken(userId, userToken);
  // The stand-in is on loopback: reachable only because HANGAR_GITHUB_URL names it.
  gateway = createGateway(gatewayOptionsFrom(env));
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
  // Fetches loop in the background until the process list has been read while one of
  // git's HTTP helpers ran (the needle is built at run time, so this script's own
  // command line does not match it).
  const { out } = await sh(
    box,
    `cd /home/user/app
     (while [ ! -e /tmp/scanned ]; do git fetch -q origin; done) &
     needle="remote-"; needle="git-\${needle}http origin"
     i=0
     while [ $i -lt 5000 ]; do
       snap=$(for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline 2>/dev/null; echo; tr '\\0' '\\n' < $p/environ 2>/dev/null; done)
       case "$snap" in *"$needle"*) break;; esac
       i=$((i+1))
     done
     touch /tmp/scanned
     echo "== env"; env
     echo "== processes"; echo "$snap"
     echo "== git config"; git config --list --show-origin
     echo "== git trace"; GIT_TRACE=1 GIT_TRACE_CURL=1 git ls-remote origin 2>&1
     echo "== proxy answer"; curl -sS -D - "${proxied(repoKey)}/info/refs?service=git-upload-pack"
     echo "== files holding a GitHub token's prefix"
     grep -rIl -e ghp_ -e ghs_ /home /tmp /etc /root /var /run 2>/dev/null
     echo "== end"
     wait`,
  );
  return out;
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

        const visible = await everythingVisible(box);
        // The scan saw git's own processes at work, and what git sent and got.
        expect(visible).toMatch(/== processes[\s\S]*git-remote-http origin[\s\S]*== git config/);
        expect(visible).toMatch(/== git trace[\s\S]*refs\/heads\/main/);
        expect(visible).toMatch(/== proxy answer\s+HTTP\/1\.1 200/);
        expect(visible).toMatch(/== files holding a GitHub token's prefix\n== end/);
        for (const value of [
          secret,
          userToken,
          Buffer.from(`x-access-token:${secret}`).toString('base64'),
        ]) {
          expect(visible).not.toContain(value);
        }
      });
    } finally {
      if (installation !== undefined) gh.uninstallApp(installation);
    }
  });
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
