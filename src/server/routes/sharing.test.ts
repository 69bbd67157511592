import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../../../fixtures/github/stand-in.js';
import { oneCommitBundle, repoWithCommits } from '../../git/test-repo.js';
import { openTestApp, type TestApp } from '../test-app.js';

/**
 * Teams and sharing through the real server in-process: two users in a team and one
 * outside it, each visibility, every write route refused to a viewer, the repository
 * check on the GitHub stand-in, and team environments.
 */

interface SessionJson {
  id: string;
  visibility: string;
  hideOwner: boolean;
  owner: { id: string; name: string } | null;
  readOnly: boolean;
}

interface ErrorJson {
  error: { code: string; message: string; details?: { reason?: string } };
}

let t: TestApp;
let gh: GitHubStandIn;
let dir: string;
let bundleBytes: Buffer;
const tokens: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
const ids: Record<'alice' | 'bob' | 'carol', string> = { alice: '', bob: '', carol: '' };
let teamId: string;

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the answer's shape
async function json<T>(
  response: Response | Promise<Response>,
): Promise<{ status: number; body: T }> {
  const res = await response;
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  gh = await startGitHubStandIn();
  t = await openTestApp({ sessions: true, githubEnv: gh.hangarEnv });
  dir = mkdtempSync(join(tmpdir(), 'hangar-share-'));
  bundleBytes = oneCommitBundle(join(dir, 'bundle'));
  repoWithCommits(join(dir, 'src'), 'one');
  for (const name of ['alice', 'bob', 'carol'] as const) {
    const created = await json<{ id: string; token: string }>(
      t.request('POST', '/api/v1/users', { body: { name } }),
    );
    expect(created.status).toBe(201);
    tokens[name] = created.body.token;
    ids[name] = created.body.id;
  }
  const team = await json<{ id: string }>(
    t.request('POST', '/api/v1/teams', { body: { name: 'Core' } }),
  );
  expect(team.status).toBe(201);
  teamId = team.body.id;
  // One by name, one by id.
  const added = await json<{ members: { name: string }[] }>(
    t.request('POST', `/api/v1/teams/${teamId}/members`, { body: { users: ['alice', ids.bob] } }),
  );
  expect(added.body.members.map((m) => m.name)).toEqual(['alice', 'bob']);
});
afterAll(async () => {
  await t.close();
  await gh.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A session of `token`'s user on a fresh bundle (no GitHub repo to check). */
async function bundleSession(token: string, body: Record<string, unknown> = {}): Promise<string> {
  const bundle = await json<{ id: string }>(
    t.request('POST', '/api/v1/bundles', {
      raw: bundleBytes,
      contentType: 'application/octet-stream',
      token,
    }),
  );
  const res = await json<{ id: string }>(
    t.request('POST', '/api/v1/sessions', {
      body: { prompt: 'fix it', source: { type: 'bundle', bundleId: bundle.body.id }, ...body },
      token,
    }),
  );
  expect(res.status).toBe(201);
  return res.body.id;
}

function share(id: string, body: Record<string, unknown>, token = tokens.alice) {
  return json<SessionJson & ErrorJson>(
    t.request('PATCH', `/api/v1/sessions/${id}`, { body, token }),
  );
}

/** What each user gets from GET /sessions/{id}. */
async function statuses(id: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const who of ['alice', 'bob', 'carol'] as const) {
    out[who] = (await t.request('GET', `/api/v1/sessions/${id}`, { token: tokens[who] })).status;
  }
  return out;
}

/** Every route that changes a session or hands it over, with a valid body. */
const writes = (id: string): [string, string, unknown?][] => [
  ['POST', `/api/v1/sessions/${id}/messages`, { text: 'do more' }],
  ['POST', `/api/v1/sessions/${id}/interrupt`],
  ['POST', `/api/v1/sessions/${id}/archive`],
  ['DELETE', `/api/v1/sessions/${id}`],
  ['PATCH', `/api/v1/sessions/${id}`, { visibility: 'private' }],
  ['GET', `/api/v1/sessions/${id}/share`],
  ['POST', `/api/v1/sessions/${id}/pull-request`, {}],
  ['POST', `/api/v1/sessions/${id}/autofix`, { enabled: true }],
  ['GET', `/api/v1/sessions/${id}/usage`],
  ['GET', `/api/v1/sessions/${id}/conversation`],
  ['GET', `/api/v1/sessions/${id}/git/info/refs?service=git-upload-pack`],
  ['POST', `/api/v1/sessions/${id}/git/git-upload-pack`, {}],
];

/** Every route that only shows a session. */
const reads = (id: string): string[] => [
  `/api/v1/sessions/${id}`,
  `/api/v1/sessions/${id}/events`,
  `/api/v1/sessions/${id}/diff`,
  `/api/v1/sessions/${id}/autofix`,
];

describe('teams', () => {
  it('only an admin makes teams and changes members; each user lists their own teams', async () => {
    const made = await json<ErrorJson>(
      t.request('POST', '/api/v1/teams', { body: { name: 'Mine' }, token: tokens.alice }),
    );
    expect(made.status).toBe(403);
    expect(made.body.error.message).toMatch(/Only an admin can create teams/);
    const added = await t.request('POST', `/api/v1/teams/${teamId}/members`, {
      body: { users: ['carol'] },
      token: tokens.alice,
    });
    expect(added.status).toBe(403);
    const mine = await json<{ teams: { name: string }[] }>(
      t.request('GET', '/api/v1/teams', { token: tokens.alice }),
    );
    expect(mine.body.teams.map((team) => team.name)).toEqual(['Core']);
    const carols = await json<{ teams: unknown[] }>(
      t.request('GET', '/api/v1/teams', { token: tokens.carol }),
    );
    expect(carols.body.teams).toEqual([]);
  });

  it('refuses a duplicate team name and an unknown user, naming them', async () => {
    const dup = await json<ErrorJson>(
      t.request('POST', '/api/v1/teams', { body: { name: 'core' } }),
    );
    expect(dup.status).toBe(409);
    expect(dup.body.error.message).toMatch(/team named "core" already exists/);
    const unknown = await json<ErrorJson>(
      t.request('POST', `/api/v1/teams/${teamId}/members`, { body: { users: ['mallory'] } }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toMatch(/no user named or with id "mallory"/);
  });

  it('removing a member takes the team sessions away from them', async () => {
    const team = await json<{ id: string }>(
      t.request('POST', '/api/v1/teams', { body: { name: 'Passing' } }),
    );
    await t.request('POST', `/api/v1/teams/${team.body.id}/members`, {
      body: { users: ['carol', 'alice'] },
    });
    const id = await bundleSession(tokens.alice, { visibility: 'team' });
    expect((await statuses(id)).carol).toBe(200);
    const removed = await json<{ members: { name: string }[] }>(
      t.request('POST', `/api/v1/teams/${team.body.id}/members/remove`, {
        body: { users: ['carol'] },
      }),
    );
    expect(removed.body.members.map((m) => m.name)).toEqual(['alice']);
    expect((await statuses(id)).carol).toBe(404);
  });
});

describe('session visibility', () => {
  it('Private is invisible to everyone else (404, as for no session)', async () => {
    const id = await bundleSession(tokens.alice);
    expect(await statuses(id)).toEqual({ alice: 200, bob: 404, carol: 404 });
    const missing = await json<ErrorJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.bob }),
    );
    expect(missing.body.error.code).toBe('not_found');
    for (const [method, path, body] of writes(id)) {
      const res = await t.request(method, path, { body, token: tokens.bob });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it('Team is visible read-only to a member, not to a non-member; Public to every user', async () => {
    const id = await bundleSession(tokens.alice, { visibility: 'team' });
    expect(await statuses(id)).toEqual({ alice: 200, bob: 200, carol: 404 });
    const seen = await json<SessionJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.bob }),
    );
    expect(seen.body).toMatchObject({
      readOnly: true,
      visibility: 'team',
      owner: { id: ids.alice, name: 'alice' },
    });
    const own = await json<SessionJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.alice }),
    );
    expect(own.body.readOnly).toBe(false);
    expect((await share(id, { visibility: 'public' })).status).toBe(200);
    expect(await statuses(id)).toEqual({ alice: 200, bob: 200, carol: 200 });
    expect((await share(id, { visibility: 'private' })).body.visibility).toBe('private');
    expect(await statuses(id)).toEqual({ alice: 200, bob: 404, carol: 404 });
  });

  it("hides the owner's name from viewers when asked", async () => {
    const id = await bundleSession(tokens.alice, { visibility: 'public', hideOwner: true });
    const seen = await json<SessionJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.carol }),
    );
    expect(seen.body.owner).toBeNull();
    const own = await json<SessionJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.alice }),
    );
    expect(own.body.owner?.name).toBe('alice');
  });

  it('a viewer reads the transcript, diff and live events', async () => {
    const id = await bundleSession(tokens.alice, { visibility: 'public' });
    for (const path of reads(id)) {
      const res = await t.request('GET', path, { token: tokens.carol });
      expect(res.status, path).toBeLessThan(300);
    }
    const events = await json<{ events: { type: string; data: { text?: string } }[] }>(
      t.request('GET', `/api/v1/sessions/${id}/events`, { token: tokens.carol }),
    );
    expect(events.body.events.find((e) => e.type === 'message.user')?.data.text).toBe('fix it');
    const live = await t.request('GET', `/api/v1/sessions/${id}/events`, {
      token: tokens.carol,
      headers: { accept: 'text/event-stream' },
    });
    expect(live.status).toBe(200);
    const reader = (live.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('message.user')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('event: message.user');
  });

  it('every write route refuses a viewer with 403 read_only, and the session stays', async () => {
    const id = await bundleSession(tokens.alice, { visibility: 'team' });
    for (const [method, path, body] of writes(id)) {
      const res = await json<ErrorJson>(t.request(method, path, { body, token: tokens.bob }));
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code, `${method} ${path}`).toBe('read_only');
      expect(res.body.error.message).toMatch(/shared with you read-only: only its owner can/);
    }
    const after = await json<SessionJson & { archived: boolean }>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.alice }),
    );
    expect(after.body).toMatchObject({ visibility: 'team', archived: false });
  });

  it('the owner sees the link and who can open it', async () => {
    const id = await bundleSession(tokens.alice, { visibility: 'team' });
    const shared = await json<{
      url: string;
      audience: string;
      teams: { name: string; members: { name: string }[] }[];
    }>(t.request('GET', `/api/v1/sessions/${id}/share`, { token: tokens.alice }));
    expect(shared.status).toBe(200);
    expect(shared.body.url).toMatch(new RegExp(`/sessions/${id}$`));
    expect(shared.body.audience).toMatch(/members of your teams/);
    expect(shared.body.teams.find((team) => team.name === 'Core')?.members).toEqual([
      expect.objectContaining({ name: 'alice' }),
      expect.objectContaining({ name: 'bob' }),
    ]);
  });

  it('refuses a visibility that is not one of the three, naming them', async () => {
    const id = await bundleSession(tokens.alice);
    const bad = await share(id, { visibility: 'friends' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/private, team, public/);
  });
});

describe('the repository check on shared GitHub sessions', () => {
  let id: string;
  const ghTokens: Record<string, string> = {};

  beforeAll(async () => {
    for (const login of ['alice-gh', 'bob-gh', 'carol-gh']) ghTokens[login] = gh.addUser(login);
    gh.createRepo('alice-gh/app', {
      from: join(dir, 'src'),
      private: true,
      collaborators: { 'bob-gh': 'read' },
    });
    const connected = await t.request('POST', '/api/v1/github/token', {
      body: { token: ghTokens['alice-gh'] },
      token: tokens.alice,
    });
    expect(connected.status).toBe(200);
    const res = await json<{ id: string }>(
      t.request('POST', '/api/v1/sessions', {
        body: {
          prompt: 'fix it',
          source: { type: 'git', url: 'alice-gh/app' },
          visibility: 'public',
        },
        token: tokens.alice,
      }),
    );
    expect(res.status).toBe(201);
    id = res.body.id;
  });

  it('refuses a viewer without a GitHub connection, saying why, and never the content', async () => {
    for (const path of reads(id)) {
      const res = await json<ErrorJson & { events?: unknown; diff?: unknown }>(
        t.request('GET', path, { token: tokens.bob }),
      );
      expect(res.status, path).toBe(403);
      expect(res.body.error.code).toBe('repo_access_required');
      expect(res.body.error.message).toMatch(/alice-gh\/app.*hangar github login/);
      expect(res.body.events).toBeUndefined();
      expect(res.body.diff).toBeUndefined();
    }
  });

  it('lets a viewer whose own GitHub account can read the repo see it, and keeps that answer', async () => {
    const connected = await t.request('POST', '/api/v1/github/token', {
      body: { token: ghTokens['bob-gh'] },
      token: tokens.bob,
    });
    expect(connected.status).toBe(200);
    const asked = () =>
      gh.exchanges.filter((e) => e.method === 'GET' && e.route === '/repos/{owner}/{repo}').length;
    const before = asked();
    expect((await t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.bob })).status).toBe(
      200,
    );
    expect(asked()).toBe(before + 1);
    expect(
      (await t.request('GET', `/api/v1/sessions/${id}/diff`, { token: tokens.bob })).status,
    ).toBe(200);
    expect(asked(), 'the answer is kept a few minutes').toBe(before + 1);
  });

  it('refuses a viewer whose GitHub account cannot read the repo', async () => {
    const connected = await t.request('POST', '/api/v1/github/token', {
      body: { token: ghTokens['carol-gh'] },
      token: tokens.carol,
    });
    expect(connected.status).toBe(200);
    const res = await json<ErrorJson>(
      t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.carol }),
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('repo_access_required');
    expect(res.body.error.details?.reason).toBe('no_access');
    expect(res.body.error.message).toMatch(/carol-gh cannot read alice-gh\/app/);
  });

  it('does not check the owner', async () => {
    expect((await t.request('GET', `/api/v1/sessions/${id}`, { token: tokens.alice })).status).toBe(
      200,
    );
  });
});

describe('the repository check turned off (HANGAR_GITHUB_SHARE_CHECK=off)', () => {
  it('shows a shared GitHub session to a viewer without a connection', async () => {
    // A GitHub of its own, so nothing the tests above did to theirs reaches this one.
    const own = await startGitHubStandIn();
    const off = await openTestApp({
      sessions: true,
      githubEnv: { ...own.hangarEnv, HANGAR_GITHUB_SHARE_CHECK: 'off' },
    });
    try {
      const owner = await json<{ token: string }>(
        off.request('POST', '/api/v1/users', { body: { name: 'dana' } }),
      );
      const viewer = await json<{ token: string }>(
        off.request('POST', '/api/v1/users', { body: { name: 'erin' } }),
      );
      const danaGh = own.addUser('dana-gh');
      own.createRepo('dana-gh/app', { from: join(dir, 'src'), private: true });
      const connected = await off.request('POST', '/api/v1/github/token', {
        body: { token: danaGh },
        token: owner.body.token,
      });
      expect(connected.status).toBe(200);
      const created = await json<{ id: string }>(
        off.request('POST', '/api/v1/sessions', {
          body: {
            prompt: 'fix it',
            source: { type: 'git', url: 'dana-gh/app' },
            visibility: 'public',
          },
          token: owner.body.token,
        }),
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const seen = await off.request('GET', `/api/v1/sessions/${created.body.id}`, {
        token: viewer.body.token,
      });
      expect(seen.status).toBe(200);
    } finally {
      await off.close();
      await own.close();
    }
    // A second server opens a fresh store: minutes on a loaded machine, not the default 30 s.
  }, 180_000);
});

describe('team environments', () => {
  it('members see, edit and use them, env vars included; others and personal ones stay apart', async () => {
    const created = await json<{ id: string; teamId: string | null; envVars: string }>(
      t.request('POST', '/api/v1/environments', {
        body: { name: 'Shared', envVars: 'API_URL=https://staging.example\n', teamId },
        token: tokens.alice,
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body.teamId).toBe(teamId);
    const env = created.body.id;
    const listed = await json<{ environments: { id: string; envVars: string }[] }>(
      t.request('GET', '/api/v1/environments', { token: tokens.bob }),
    );
    expect(listed.body.environments.find((e) => e.id === env)?.envVars).toBe(
      'API_URL=https://staging.example\n',
    );
    const edited = await json<{ envVars: string }>(
      t.request('PATCH', `/api/v1/environments/${env}`, {
        body: { envVars: 'API_URL=https://prod.example\n' },
        token: tokens.bob,
      }),
    );
    expect(edited.status).toBe(200);
    const seen = await json<{ envVars: string }>(
      t.request('GET', `/api/v1/environments/${env}`, { token: tokens.alice }),
    );
    expect(seen.body.envVars).toBe('API_URL=https://prod.example\n');
    await bundleSession(tokens.bob, { environmentId: env });
    expect(
      (await t.request('GET', `/api/v1/environments/${env}`, { token: tokens.carol })).status,
    ).toBe(404);
    const carolListed = await json<{ environments: { id: string }[] }>(
      t.request('GET', '/api/v1/environments', { token: tokens.carol }),
    );
    expect(carolListed.body.environments.map((e) => e.id)).not.toContain(env);
    const bundle = await json<{ id: string }>(
      t.request('POST', '/api/v1/bundles', {
        raw: bundleBytes,
        contentType: 'application/octet-stream',
        token: tokens.carol,
      }),
    );
    const refused = await json<ErrorJson>(
      t.request('POST', '/api/v1/sessions', {
        body: {
          prompt: 'x',
          source: { type: 'bundle', bundleId: bundle.body.id },
          environmentId: env,
        },
        token: tokens.carol,
      }),
    );
    expect(refused.status).toBe(400);

    const personal = await json<{ id: string }>(
      t.request('POST', '/api/v1/environments', {
        body: { name: 'Mine' },
        token: tokens.alice,
      }),
    );
    expect(
      (await t.request('GET', `/api/v1/environments/${personal.body.id}`, { token: tokens.bob }))
        .status,
    ).toBe(404);
  });

  it('refuses a team the user is not in', async () => {
    const res = await json<ErrorJson>(
      t.request('POST', '/api/v1/environments', {
        body: { name: 'Sneaky', teamId },
        token: tokens.carol,
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/teamId: you are not in a team/);
  });
});
