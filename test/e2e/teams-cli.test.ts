import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { isolatedEnv, runHangar, startServe, type Serving } from './hangar.js';

// `hangar team …`, `hangar share` and `hangar env create --team` with the real binary
// against `hangar serve`: an admin makes a team of two users, one shares a session
// with it, the other opens it read-only.
describe('hangar team and hangar share', () => {
  let server: Serving;
  let env: NodeJS.ProcessEnv;
  let bob: string;
  let dir: string;

  beforeAll(async () => {
    env = isolatedEnv();
    // A model upstream that needs no key, so sessions are accepted; none of them needs a turn here.
    server = await startServe({ ...env, ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
    const admin = readFileSync(join(env.HANGAR_DATA_DIR ?? '', 'admin-token'), 'utf8').trim();
    env = { ...env, HANGAR_SERVER: server.url, HANGAR_TOKEN: admin };
    const created = await runHangar(['user', 'create', '--name', 'bob'], env);
    expect(created.code).toBe(0);
    bob = created.stdout.trim();
    dir = mkdtempSync(join(tmpdir(), 'hangar-teams-cli-'));
  }, 120_000);
  afterAll(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('makes a team, adds and removes members by name, and lists it', async () => {
    expect(await runHangar(['team', 'create', 'Core'], env)).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^Created team "Core" \(tea_/) as unknown,
    });
    const added = await runHangar(['team', 'add', 'core', 'bob', 'admin'], env);
    expect(added).toMatchObject({ code: 0, stdout: 'Team "Core": admin, bob.\n' });
    const listed = await runHangar(['team', 'list'], env);
    expect(listed.stdout).toMatch(/Core\s+admin, bob/);
    const unknown = await runHangar(['team', 'add', 'Core', 'mallory'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no user named or with id "mallory"/);
    const asBob = await runHangar(['team', 'create', 'Other'], { ...env, HANGAR_TOKEN: bob });
    expect(asBob.stderr).toMatch(/Only an admin can create teams/);
    await runHangar(['team', 'create', 'Brief'], env);
    await runHangar(['team', 'add', 'Brief', 'bob'], env);
    const removed = await runHangar(['team', 'remove', 'Brief', 'bob'], env);
    expect(removed.stdout).toBe('Team "Brief": no members.\n');
  });

  it('shares a session with the team; a member reads it and cannot write to it', async () => {
    const upload = await fetch(`${server.url}/api/v1/bundles`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.HANGAR_TOKEN ?? ''}`,
        'content-type': 'application/octet-stream',
      },
      body: oneCommitBundle(join(dir, 'repo')),
    });
    const bundleId = ((await upload.json()) as { id: string }).id;
    const created = await fetch(`${server.url}/api/v1/sessions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${env.HANGAR_TOKEN ?? ''}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ prompt: 'tidy up', source: { type: 'bundle', bundleId } }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    const asBob = { ...env, HANGAR_TOKEN: bob };
    expect((await runHangar(['logs', id], asBob)).stderr).toMatch(/\[not_found\]/);

    const shared = await runHangar(['share', id, 'team', '--hide-owner'], env);
    expect(shared.code).toBe(0);
    expect(shared.stdout).toContain(`/sessions/${id}\n`);
    expect(shared.stdout).toMatch(/members of your teams, read-only: Core \(2\)/);
    expect(shared.stdout).toMatch(/Viewers are not shown your name/);

    expect((await runHangar(['logs', id], asBob)).stdout).toMatch(/tidy up/);
    const send = await runHangar(['send', id, 'more'], asBob);
    expect(send.code).toBe(1);
    expect(send.stderr).toMatch(
      /shared with you read-only: only its owner can send it messages\. \[read_only\]/,
    );
    const bad = await runHangar(['share', id, 'friends'], env);
    expect(bad.stderr).toMatch(/"friends" is not a visibility: use one of private, team, public/);
  });

  it('makes a team environment its members see', async () => {
    const made = await runHangar(['env', 'create', '--name', 'Shared', '--team', 'Core'], env);
    expect(made.code).toBe(0);
    const shown = await runHangar(['env', 'show', 'Shared'], { ...env, HANGAR_TOKEN: bob });
    expect(shown.stdout).toMatch(/owner:\s+team tea_/);
  });
});
