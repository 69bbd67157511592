import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadTrustedDomains } from '../environments/trusted-domains.js';
import type { Store } from '../store/store.js';
import { openTestStore } from '../store/test-store.js';
import { createApp } from './app.js';
import { ADMIN_TOKEN_FILE, bootstrapAdmin } from './bootstrap.js';

export interface TestApp {
  store: Store;
  dataDir: string;
  /** The admin's token, as `hangar serve` writes it on first start. */
  token: string;
  /** Moves the server's clock, e.g. past a token's expiry. */
  setNow(date: Date): void;
  request(
    method: string,
    path: string,
    options?: {
      body?: unknown;
      token?: string | null;
      raw?: string | Uint8Array;
      contentType?: string;
      headers?: Record<string, string>;
    },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** The real app over a fresh store with a bootstrapped admin, called in-process. */
export async function openTestApp(options: { maxBundleBytes?: number } = {}): Promise<TestApp> {
  const store = await openTestStore();
  const dataDir = mkdtempSync(join(tmpdir(), 'hangar-app-'));
  await bootstrapAdmin(store, dataDir);
  const token = readFileSync(join(dataDir, ADMIN_TOKEN_FILE), 'utf8').trim();
  let now: Date | undefined;
  const app = createApp({
    store,
    dataDir,
    maxBundleBytes: options.maxBundleBytes,
    logger: pino({ level: 'silent' }),
    trustedDomains: loadTrustedDomains(),
    version: 'test',
    clock: () => now ?? new Date(),
  });
  return {
    store,
    dataDir,
    token,
    setNow: (date) => {
      now = date;
    },
    request: (method, path, options = {}) => {
      const headers: Record<string, string> = { ...options.headers };
      const presented = options.token === undefined ? token : options.token;
      if (presented !== null && !headers.authorization)
        headers.authorization = `Bearer ${presented}`;
      let body: string | Uint8Array | undefined = options.raw;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
      // `duplex` lets a test stream a body of unknown length, as curl does with chunks.
      const init = { method, headers, body, duplex: 'half' } as RequestInit;
      return Promise.resolve(app.request(path, init));
    },
    close: async () => {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
