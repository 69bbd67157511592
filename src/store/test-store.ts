import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from './store.js';

/**
 * A fresh, migrated store for one test file: in-memory PGlite by default, or a new
 * database on the Postgres server at TEST_DATABASE_URL (how `scripts/test` runs the
 * store's tests a second time), dropped again on close.
 */
export async function openTestStore(): Promise<Store> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) return openStore({});
  const database = await createTestDatabase(adminUrl);
  const store = await openStore({ databaseUrl: database.url });
  return {
    ...store,
    close: async () => {
      await store.close();
      await database.drop();
    },
  };
}

/** A new empty database on the server at `adminUrl`; `drop()` removes it. */
export async function createTestDatabase(
  adminUrl: string,
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `hangar_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (client) => client.query(`drop database ${name} with (force)`)),
  };
}

async function withAdmin(url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await run(client);
  } finally {
    await client.end();
  }
}
