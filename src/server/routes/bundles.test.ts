import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoWithCommits } from '../../git/test-repo.js';
import { openTestApp, type TestApp } from '../test-app.js';
import { bundleDir, bundlePath } from '../../data-dir.js';

let t: TestApp;
let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();

beforeAll(async () => {
  t = await openTestApp({ maxBundleBytes: 64 * 1024 });
  repo = mkdtempSync(join(tmpdir(), 'hangar-bundle-'));
  repoWithCommits(repo, 'one', 'two');
  git('branch', 'feature');
});
afterAll(async () => {
  await t.close();
});

function bundle(...revs: string[]): Buffer {
  const file = join(repo, `${revs.join('_').replace(/\W/g, '')}.bundle`);
  execFileSync('git', ['bundle', 'create', '-q', file, ...revs], { cwd: repo });
  return readFileSync(file);
}

const upload = (raw: Uint8Array | string) =>
  t.request('POST', '/api/v1/bundles', { raw, contentType: 'application/octet-stream' });

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe('POST /api/v1/bundles', () => {
  it('stores a complete bundle and answers with its refs', async () => {
    const res = await upload(bundle('--all'));
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      id: string;
      refs: Record<string, string>;
      sizeBytes: number;
    };
    const head = git('rev-parse', 'main');
    expect(body.refs).toEqual({ 'refs/heads/main': head, 'refs/heads/feature': head });
    expect(existsSync(bundlePath(t.dataDir, body.id))).toBe(true);
    expect(body.sizeBytes).toBe(readFileSync(bundlePath(t.dataDir, body.id)).length);
  });

  it('refuses what is not a bundle, a bundle of a range, and an empty body', async () => {
    const junk = await upload('this is not a bundle');
    expect(junk.status).toBe(400);
    expect(await errorOf(junk)).toMatchObject({
      code: 'invalid_request',
      message: expect.stringMatching(/^bundle: not a valid git bundle/) as string,
    });

    const range = await upload(bundle('main~1..main'));
    expect(range.status).toBe(400);
    expect((await errorOf(range)).message).toMatch(/needs commits it does not contain/);

    const empty = await upload('');
    expect(empty.status).toBe(400);
    expect((await errorOf(empty)).message).toMatch(/no body/);
  });

  it('refuses a bundle over the limit with 413, naming the limit, and keeps no partial file', async () => {
    const big = new Uint8Array(65 * 1024);
    const res = await upload(big);
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({
      code: 'too_large',
      message: expect.stringContaining('65536 bytes') as string,
    });
    // Streamed without a length: the limit still holds.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(10 * 1024));
        controller.close();
      },
    });
    const chunked = await t.request('POST', '/api/v1/bundles', {
      raw: stream as unknown as Uint8Array,
      contentType: 'application/octet-stream',
    });
    expect(chunked.status).toBe(413);
    expect(readdirSync(bundleDir(t.dataDir)).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect(await (await t.request('GET', '/api/v1/bundles/limits')).json()).toMatchObject({
      maxBytes: 65536,
    });
  });

  it('needs a token', async () => {
    const res = await t.request('POST', '/api/v1/bundles', {
      raw: bundle('main'),
      contentType: 'application/octet-stream',
      token: null,
    });
    expect(res.status).toBe(401);
  });
});

describe('the per-user bundle quota', () => {
  let q: TestApp;
  let one: Buffer;
  beforeAll(async () => {
    one = bundle('--all');
    // Room for two of these bundles, not three.
    q = await openTestApp({ sessions: true, limits: { bundleBytesPerUser: one.length * 2 + 10 } });
  });
  afterAll(async () => {
    await q.close();
  });

  const send = (token = q.token) =>
    q.request('POST', '/api/v1/bundles', {
      raw: one,
      contentType: 'application/octet-stream',
      token,
    });

  it('refuses an upload past the quota with 413 naming it and the usage; keeps the others', async () => {
    const first = (await (await send()).json()) as { id: string };
    const second = (await (await send()).json()) as { id: string };
    const refused = await send();
    expect(refused.status).toBe(413);
    // The body may be unread: the client must not send another request on this connection.
    expect(refused.headers.get('connection')).toBe('close');
    const quota = one.length * 2 + 10;
    const used = one.length * 2;
    expect(await errorOf(refused)).toMatchObject({
      code: 'bundle_quota_exceeded',
      message: expect.stringContaining(
        `use ${used} of your ${quota} bytes (HANGAR_MAX_BUNDLE_MB_PER_USER)`,
      ) as string,
    });
    expect(await (await q.request('GET', '/api/v1/bundles/limits')).json()).toMatchObject({
      quotaBytes: quota,
      usedBytes: used,
    });
    // Nothing of the earlier ones is lost, and no partial file is left.
    for (const { id } of [first, second])
      expect(readFileSync(bundlePath(q.dataDir, id))).toEqual(one);
    const files = readdirSync(bundleDir(q.dataDir)).filter((f) => f !== 'verify.git');
    expect(files.sort()).toEqual([first.id, second.id].map((id) => `${id}.bundle`).sort());

    // Another user has their own quota.
    const bob = (await (
      await q.request('POST', '/api/v1/users', { body: { name: 'bob' } })
    ).json()) as { token: string };
    expect((await send(bob.token)).status).toBe(201);

    // Deleting the session a bundle started frees its bytes (and its file).
    const created = await q.request('POST', '/api/v1/sessions', {
      body: { prompt: 'use it', source: { type: 'bundle', bundleId: first.id } },
    });
    expect(created.status).toBe(201);
    const { id: session } = (await created.json()) as { id: string };
    expect((await send()).status).toBe(413);
    expect((await q.request('DELETE', `/api/v1/sessions/${session}`)).status).toBe(200);
    expect(existsSync(bundlePath(q.dataDir, first.id))).toBe(false);
    expect((await send()).status).toBe(201);
  });
});
