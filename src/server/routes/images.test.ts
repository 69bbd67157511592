// /api/v1/images in-process: bad names, unknown images, an image in use, one build at a
// time, and a failed build's apt message, each a 4xx (never a 500). Builds run the real
// mmdebstrap; the image in use is a small imported one under a real sandbox (as root).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageRoot } from '../../images/images.js';
import { importImage } from '../../images/import.js';
import { LocalDriver } from '../../sandbox/local-driver.js';
import { openTestApp, type TestApp } from '../test-app.js';

interface ImageJson {
  name: string;
  state: string;
  error?: string;
  progress: string[];
}

let t: TestApp;
let work: string;
let bob = '';

beforeAll(async () => {
  t = await openTestApp();
  work = mkdtempSync(join(tmpdir(), 'hangar-image-routes-'));
  const res = await t.request('POST', '/api/v1/users', { body: { name: 'bob' } });
  bob = ((await res.json()) as { token: string }).token;
});
afterAll(async () => {
  await t.close();
  rmSync(work, { recursive: true, force: true });
});

async function call(method: string, path: string, body?: unknown, token = t.token) {
  const res = await t.request(method, path, body === undefined ? { token } : { body, token });
  const text = await res.text();
  return { status: res.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

function errorOf(json: unknown): { code: string; message: string } {
  return (json as { error: { code: string; message: string } }).error;
}

/** A tiny image imported from a tarball of the host's own binaries (no download). */
async function tinyImage(name: string): Promise<string> {
  const tree = join(work, name);
  mkdirSync(tree);
  execFileSync(new URL('../../../fixtures/sandbox/make-rootfs.sh', import.meta.url).pathname, [
    tree,
  ]);
  const layer = join(work, `${name}-layer.tar`);
  execFileSync('tar', ['-C', tree, '-cf', layer, '.']);
  const save = join(work, `${name}-save`);
  mkdirSync(join(save, 'l0'), { recursive: true });
  execFileSync('cp', [layer, join(save, 'l0', 'layer.tar')]);
  execFileSync('sh', [
    '-c',
    `printf '[{"Config":"c.json","Layers":["l0/layer.tar"]}]' > "$0/manifest.json" && echo '{}' > "$0/c.json"`,
    save,
  ]);
  execFileSync('tar', ['-C', save, '-cf', `${save}.tar`, '.']);
  const info = await importImage({ dataDir: t.dataDir, name, tarball: `${save}.tar` });
  return imageRoot(t.dataDir, info);
}

describe('bad input', () => {
  it('names what was wrong, never a 500', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/api/v1/images', { name: 'Bad Name' }, 400, /name/],
      ['POST', '/api/v1/images', { name: '../etc' }, 400, /name/],
      ['POST', '/api/v1/images', { name: 'x'.repeat(64) }, 400, /name/],
      ['POST', '/api/v1/images', {}, 400, /name/],
      ['POST', '/api/v1/images', { name: 'ok', packages: ['foo;rm -rf /'] }, 400, /packages/],
      ['POST', '/api/v1/images', { name: 'ok', packages: 'git' }, 400, /packages/],
      ['POST', '/api/v1/images', { name: 'ok', from: '/etc/passwd' }, 400, /from/],
      ['GET', '/api/v1/images/Bad%20Name', undefined, 400, /name/],
      ['GET', '/api/v1/images/nothing-here', undefined, 404, /nothing-here/],
      ['DELETE', '/api/v1/images/nothing-here', undefined, 404, /nothing-here/],
      ['DELETE', '/api/v1/images/UPPER', undefined, 400, /name/],
    ];
    for (const [method, path, body, status, named] of cases) {
      const res = await call(method, path, body);
      const what = `${method} ${path} ${JSON.stringify(body)}`;
      expect(res.status, what).toBe(status);
      expect(JSON.stringify(errorOf(res.json)), what).toMatch(named);
    }
  });

  it('lets anyone list images but only an admin build, look at or remove one', async () => {
    expect((await call('GET', '/api/v1/images', undefined, bob)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', '/api/v1/images', { name: 'mine' }],
      ['GET', '/api/v1/images/mine', undefined],
      ['DELETE', '/api/v1/images/mine', undefined],
    ] as const) {
      const res = await call(method, path, body, bob);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(errorOf(res.json).message).toContain('Only an admin');
    }
  });
});

describe('an image in use', () => {
  it('is not removed while a running sandbox uses it (409 naming it), and is once stopped', async () => {
    const root = await tinyImage('tiny');
    const driver = new LocalDriver({
      dataDir: t.dataDir,
      cgroupGroup: `hangar-images-${process.pid}`,
    });
    const box = await driver.create({ rootfs: root });
    try {
      const refused = await call('DELETE', '/api/v1/images/tiny');
      expect(refused.status).toBe(409);
      expect(errorOf(refused.json).message).toContain(`running sandbox ${box.id}: stop it first`);
      expect(existsSync(root)).toBe(true);
      await box.stop();
      expect((await call('DELETE', '/api/v1/images/tiny')).status).toBe(204);
      expect((await call('GET', '/api/v1/images/tiny')).status).toBe(404);
    } finally {
      await box.destroy();
    }
  }, 120_000);
});

describe('builds', () => {
  it('runs one at a time (409 naming the one under way); a failed one says apt’s message and leaves nothing', async () => {
    const started = await call('POST', '/api/v1/images', {
      name: 'broken',
      packages: ['hangar-no-such-package'],
    });
    expect(started.status).toBe(202);
    expect(started.json.state).toBe('building');
    for (const name of ['broken', 'other']) {
      const again = await call('POST', '/api/v1/images', { name });
      expect(again.status, name).toBe(409);
      expect(errorOf(again.json).message).toMatch(/Image broken is being built/);
    }
    let image: ImageJson;
    for (;;) {
      image = (await call('GET', '/api/v1/images/broken')).json as unknown as ImageJson;
      if (image.state !== 'building') break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(image.state).toBe('failed');
    expect(image.error).toMatch(/E: .*hangar-no-such-package/);
    const listed = (await call('GET', '/api/v1/images')).json.images as ImageJson[];
    expect(listed.find((i) => i.name === 'broken')?.state).toBe('failed');
    expect(readdirSync(join(t.dataDir, 'images', 'broken', 'builds'))).toEqual([]);
  }, 600_000);
});
