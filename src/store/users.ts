import { count, eq } from 'drizzle-orm';
import { newId } from '../ids.js';
import type { Db } from './store.js';
import { users } from './schema.js';

export type User = typeof users.$inferSelect;

export async function countUsers(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function createUser(db: Db, input: { name: string; isAdmin: boolean }): Promise<User> {
  const [user] = await db
    .insert(users)
    .values({ id: newId('usr'), ...input })
    .returning();
  if (!user) throw new Error('insert returned no user');
  return user;
}

export async function getUser(db: Db, id: string): Promise<User | undefined> {
  const [user] = await db.select().from(users).where(eq(users.id, id));
  return user;
}
