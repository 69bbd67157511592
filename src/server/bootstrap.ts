import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_TOKEN_FILE } from '../data-dir.js';
import { DEFAULT_SETTINGS } from '../environments/settings.js';
import { createEnvironment, setDefaultEnvironment } from '../store/environments.js';
import type { Store } from '../store/store.js';
import { createToken, generateToken } from '../store/tokens.js';
import { countUsers, createUser } from '../store/users.js';

/**
 * On first start: creates the admin user, its default environment (trusted network)
 * and a login token written to `<dataDir>/admin-token` with mode 0600. Returns true
 * when it did; later starts find a user and leave everything as it is.
 */
export async function bootstrapAdmin(store: Store, dataDir: string): Promise<boolean> {
  if ((await countUsers(store.db)) > 0) return false;
  const token = generateToken();
  await store.db.transaction(async (tx) => {
    const admin = await createUser(tx, { name: 'admin', isAdmin: true });
    const env = await createEnvironment(tx, admin.id, { name: 'Default', ...DEFAULT_SETTINGS });
    await setDefaultEnvironment(tx, admin.id, env.id);
    await createToken(tx, { userId: admin.id, name: 'admin (first start)', token });
    // Written inside the transaction: if the file cannot be written, no user is created
    // and the next start tries again, so the admin can never be locked out.
    writeFileSync(join(dataDir, ADMIN_TOKEN_FILE), `${token}\n`, { mode: 0o600 });
  });
  return true;
}
