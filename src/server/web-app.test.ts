import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestApp, type TestApp } from './test-app.js';
import { fileFor, WEB_CSP } from './web-app.js';

const INDEX = '<!doctype html><title>Hangar</title><div id="root"></div>';
const FILES: Record<string, [string | Buffer, string]> = {
  'assets/index-4f2a.js': ['console.log(1)', 'text/javascript; charset=utf-8'],
  'assets/index-4f2a.js.map': ['{"version":3}', 'application/json'],
  'assets/index-9c1b.css': ['body{}', 'text/css; charset=utf-8'],
  'assets/logo-77aa.svg': ['<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'],
  'assets/inter-12ab.woff2': [Buffer.from([0x77, 0x4f, 0x46, 0x32]), 'font/woff2'],
  'assets/shot-3d3d.png': [Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'image/png'],
  'favicon.ico': [Buffer.from([0, 0, 1, 0]), 'image/x-icon'],
  'manifest.json': ['{"name":"Hangar"}', 'application/json'],
};

let root: string;
let web: TestApp;
let unbuilt: TestApp;
let apiOnly: TestApp;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'hangar-web-'));
  // A secret beside the web dir: no URL may reach it.
  writeFileSync(join(root, 'secret.txt'), 'TOP SECRET');
  const dir = join(root, 'web');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  for (const [name, [body]] of Object.entries(FILES)) writeFileSync(join(dir, name), body);
  mkdirSync(join(root, 'empty'));
  [web, unbuilt, apiOnly] = await Promise.all([
    openTestApp({ webDir: dir }),
    openTestApp({ webDir: join(root, 'empty') }),
    openTestApp(),
  ]);
});
afterAll(async () => {
  await Promise.all([web.close(), unbuilt.close(), apiOnly.close()]);
  rmSync(root, { recursive: true, force: true });
});

const get = (app: TestApp, path: string, method = 'GET') =>
  app.request(method, path, { token: null });

function expectSecurityHeaders(res: Response) {
  expect(res.headers.get('content-security-policy')).toBe(WEB_CSP);
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
}

async function expectIndex(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-cache');
  expectSecurityHeaders(res);
  expect(await res.text()).toBe(INDEX);
}

describe('the web app', () => {
  it('serves index.html at /, uncached, with the security headers', async () => {
    await expectIndex(await get(web, '/'));
    await expectIndex(await get(web, '/index.html'));
  });

  it('serves its files with their content types; hashed assets cached for good', async () => {
    for (const [name, [body, type]] of Object.entries(FILES)) {
      const res = await get(web, `/${name}`);
      expect({ name, status: res.status, type: res.headers.get('content-type') }).toEqual({
        name,
        status: 200,
        type,
      });
      expect(res.headers.get('cache-control')).toBe(
        name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      expectSecurityHeaders(res);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(body));
    }
  });

  it("answers the app's own pages with index.html, so a reload or a link works", async () => {
    for (const path of ['/login', '/sessions/ses_01abc', '/environments/new/', '/no.such.file']) {
      await expectIndex(await get(web, path));
    }
  });

  it('answers HEAD like GET, without a body', async () => {
    for (const path of ['/', '/sessions/ses_1', '/assets/index-4f2a.js']) {
      const res = await get(web, path, 'HEAD');
      expect(res.status).toBe(200);
      expectSecurityHeaders(res);
      expect(await res.text()).toBe('');
    }
  });

  it('answers a missing asset with 404, not the page', async () => {
    for (const path of ['/assets/index-0000.js', '/assets/', '/assets/nested/x.css']) {
      const res = await get(web, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expectSecurityHeaders(res);
      expect(await res.text()).not.toContain('<div id="root">');
    }
  });

  it('keeps the API as it was: JSON, and its JSON 404s', async () => {
    const missing = await web.request('GET', '/api/v1/nope');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'not_found' } });
    for (const path of ['/api', '/api/', '/api/v2/sessions']) {
      const res = await get(web, path);
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    }
    expect(await (await get(web, '/healthz')).json()).toMatchObject({ status: 'ok' });
    expect(await (await get(web, '/openapi.json')).json()).toHaveProperty('paths');
    expect((await get(web, '/api/v1/me')).status).toBe(401);
    // Only reads are the web app's.
    const post = await web.request('POST', '/', { token: null, body: {} });
    expect(post.status).toBe(404);
  });

  it('never serves a file outside its directory', async () => {
    for (const path of [
      '/..%2fsecret.txt',
      '/..%2f..%2fetc/passwd',
      '/..%2F..%2F..%2F..%2Fetc%2Fpasswd',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%252e%252e%252fsecret.txt',
      '/secret.txt%00.js',
      '/%E0%A4%A',
      '//etc/passwd',
    ]) {
      const res = await get(web, path);
      const text = await res.text();
      expect({ path, leaked: text.includes('TOP SECRET') || text.includes('root:') }).toEqual({
        path,
        leaked: false,
      });
      expect([200, 404]).toContain(res.status);
      if (res.status === 200) expect(text).toBe(INDEX);
    }
  });

  it('says how to build the web app when it is not built', async () => {
    for (const path of ['/', '/sessions/ses_1']) {
      const res = await get(unbuilt, path);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expectSecurityHeaders(res);
      expect(await res.text()).toMatch(/not built[\s\S]*npm run build/);
    }
    expect((await get(unbuilt, '/healthz')).status).toBe(200);
  });

  it('is not served when the app has no web dir', async () => {
    const res = await get(apiOnly, '/');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('fileFor', () => {
  it('maps a URL path into the directory, or to nothing when it would leave it', () => {
    const dir = join(tmpdir(), 'w');
    expect(fileFor(dir, '/assets/a.js')).toBe(join(dir, 'assets', 'a.js'));
    expect(fileFor(dir, '/a%20b.txt')).toBe(join(dir, 'a b.txt'));
    for (const path of [
      '/',
      '/..',
      '/..%2f',
      '/a/..%2f..%2fb',
      '/%00',
      '/%E0%A4%A',
      '/a%5c..%5c..%5cb',
    ]) {
      expect({ path, file: fileFor(dir, path) }).toEqual({ path, file: undefined });
    }
  });
});
