import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { HangarError } from '../errors.js';
import * as schema from './schema.js';

/** Queries are written once against the Postgres dialect and run on either driver. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Store {
  readonly db: Db;
  /** `pglite` (embedded, the default) or `postgres` (when DATABASE_URL is set). */
  readonly kind: 'pglite' | 'postgres';
  /** The Postgres URL (postgres only), for connections of their own such as LISTEN's. */
  readonly url?: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** A Postgres URL; when absent the embedded PGlite store is used. */
  databaseUrl?: string;
  /** PGlite's directory; when absent (and no URL) the store lives in memory. */
  pgliteDir?: string;
}

const MIGRATIONS = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Serialises migrations between processes sharing one Postgres database. */
const MIGRATION_LOCK = 7_261_840_311;

/** Opens the store and brings its schema up to date (migrations are idempotent). */
export async function openStore(options: StoreOptions): Promise<Store> {
  return options.databaseUrl ? openPostgres(options.databaseUrl) : openPglite(options.pgliteDir);
}

async function openPglite(dir: string | undefined): Promise<Store> {
  if (dir) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const client = dir ? new PGlite(dir) : new PGlite();
  const db = drizzlePglite(client, { schema });
  await migratePglite(db, { migrationsFolder: MIGRATIONS });
  return { db, kind: 'pglite', close: () => client.close() };
}

async function openPostgres(url: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  // An idle client's network error must not crash the server; the next query reports it.
  pool.on('error', () => undefined);
  const conn = await pool.connect().catch(async (error: unknown) => {
    await pool.end();
    throw new HangarError(
      'store_unavailable',
      503,
      `Cannot connect to the database at DATABASE_URL (${describeUrl(url)}): ${errorMessage(error)}`,
    );
  });
  try {
    await conn.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await migratePg(drizzlePg(conn, { schema }), { migrationsFolder: MIGRATIONS });
    await conn.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  } catch (error) {
    conn.release();
    await pool.end();
    throw error;
  }
  conn.release();
  return { db: drizzlePg(pool, { schema }), kind: 'postgres', url, close: () => pool.end() };
}

/** `host:port/db` of a Postgres URL, without the user or password. */
function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.host}${parsed.pathname}`;
  } catch {
    return 'unparsable URL';
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof AggregateError && error.errors[0] instanceof Error)
    return error.errors[0].message;
  return error instanceof Error && error.message ? error.message : String(error);
}

/** True when `error` (or an error it wraps) is a Postgres unique-constraint violation. */
export function isUniqueViolation(error: unknown): boolean {
  let e: unknown = error;
  while (typeof e === 'object' && e !== null) {
    if ('code' in e && e.code === '23505') return true;
    e = 'cause' in e ? e.cause : undefined;
  }
  return false;
}
