import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat } from '../../store/runners.js';
import { openTestApp, type TestApp } from '../test-app.js';

interface RunnersJson {
  runners: {
    id: string;
    host: string;
    version: string;
    capacity: number;
    held: number;
    active: number;
    heartbeatAt: string;
    state: 'up' | 'gone';
  }[];
}

let t: TestApp;
beforeAll(async () => {
  t = await openTestApp({});
});
afterAll(async () => {
  await t.close();
});

describe('GET /api/v1/runners', () => {
  it('shows an admin each runner with its load, and one not heard from for long as gone', async () => {
    const beat = { host: 'box-1', version: '0.1.0', capacity: 8, startedAt: new Date() };
    await heartbeat(t.store.db, { ...beat, id: 'runner-a', held: 3, active: 2 });
    await heartbeat(t.store.db, { ...beat, id: 'runner-b', held: 0, active: 0 });
    // runner-b's last beat, three minutes ago: it died without a word.
    await t.store.db.execute(
      "update runners set heartbeat_at = now() - interval '3 minutes' where id = 'runner-b'",
    );
    const res = await t.request('GET', '/api/v1/runners');
    expect(res.status).toBe(200);
    const { runners } = (await res.json()) as RunnersJson;
    expect(runners.map((r) => [r.id, r.state, r.held, r.active, r.capacity])).toEqual([
      ['runner-a', 'up', 3, 2, 8],
      ['runner-b', 'gone', 0, 0, 8],
    ]);
  });

  it('refuses other users, naming who may list runners', async () => {
    const created = await t.request('POST', '/api/v1/users', { body: { name: 'dev' } });
    const { token } = (await created.json()) as { token: string };
    const res = await t.request('GET', '/api/v1/runners', { token });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('Only an admin can list runners');
  });
});
