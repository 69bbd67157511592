import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import type { Context, Handler } from 'hono';

/**
 * The web app's own origin only; inline styles for the diff viewer; no framing, so
 * a signed-in page cannot be clickjacked.
 */
export const WEB_CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

const SECURITY_HEADERS = {
  'Content-Security-Policy': WEB_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Vite names files under `/assets/` by their content hash: they never change. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Paths that belong to the API even when nothing there matches: they answer JSON. */
export function isApiPath(pathname: string): boolean {
  return (
    pathname === '/api' ||
    pathname.startsWith('/api/') ||
    pathname === '/healthz' ||
    pathname === '/openapi.json'
  );
}

/**
 * The file under `dir` a URL path names, or undefined when it names none: bad
 * percent-encoding, a NUL, or a path that would leave `dir` (`..`, encoded or not).
 */
export function fileFor(dir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const root = resolve(dir);
  const file = resolve(root, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  return file.startsWith(root + sep) ? file : undefined;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/**
 * Serves the built web app from `dir` for GET (and so HEAD): its files, `index.html`
 * for any other path so the app's own router can show it, but a 404 for a missing
 * `/assets/` file (a stale page asking for an old bundle must not get HTML). API
 * paths fall through to the JSON 404.
 */
export function webApp(dir: string): Handler {
  const index = resolve(dir, 'index.html');
  return async (c) => {
    const { pathname } = new URL(c.req.url);
    if (isApiPath(pathname)) return c.notFound();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.header(name, value);

    const file = fileFor(dir, pathname);
    if (file && (await isFile(file))) {
      const asset = pathname.startsWith('/assets/');
      return send(c, file, asset ? IMMUTABLE : 'no-cache');
    }
    if (pathname.startsWith('/assets/')) {
      return c.text(`No such file: ${pathname}. Reload the page.`, 404, {
        'Cache-Control': 'no-cache',
      });
    }
    if (!(await isFile(index))) return notBuilt(c);
    return send(c, index, 'no-cache');
  };
}

async function send(c: Context, file: string, cacheControl: string): Promise<Response> {
  const body = await readFile(file);
  return c.body(body, 200, { 'Content-Type': contentTypeOf(file), 'Cache-Control': cacheControl });
}

function notBuilt(c: Context): Response {
  return c.html(
    `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>Hangar: web app not built</title>
<h1>The web app is not built</h1>
<p>This server has no built web app to serve. Run <code>npm run build</code> in the Hangar checkout, then restart <code>hangar serve</code>.</p>
<p>The API is up: <a href="/openapi.json">/openapi.json</a>.</p>
</html>
`,
    503,
    { 'Cache-Control': 'no-cache' },
  );
}
