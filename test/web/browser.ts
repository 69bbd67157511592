import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  type Page,
} from 'playwright-core';

/** Debian's chromium, which `.ci/run` installs; never a downloaded browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** Screenshots land here: `test-results/web/<test>/<step>.png`, kept as CI artifacts. */
export const ARTIFACTS = new URL('../../test-results/web/', import.meta.url).pathname;

/** Launches headless chromium as root can run it, with no traffic of its own. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with \`apt-get install -y chromium\``);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * A browser context signed in as `token`, the way the web app keeps a pasted token
 * (localStorage), before any of its pages loads; a desktop viewport unless told otherwise.
 */
export async function signedInContext(
  browser: Browser,
  token: string,
  options: BrowserContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  await context.addInitScript(`localStorage.setItem('hangar.token', ${JSON.stringify(token)})`);
  return context;
}

/** Takes numbered screenshots of a test's steps. */
export function screenshots(test: string): (page: Page, step: string) => Promise<void> {
  const dir = join(ARTIFACTS, test);
  // Only this run's steps: an old run's extra steps would mislead.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return async (page, step) => {
    n += 1;
    await page.screenshot({
      path: join(dir, `${String(n).padStart(2, '0')}-${step}.png`),
      fullPage: true,
    });
  };
}
