import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../errors.js';

/** The file in the data dir holding the key that seals secrets at rest. */
export const SECRET_KEY_FILE = 'secret.key';

/**
 * The key that seals stored secrets (users' GitHub tokens): HANGAR_SECRET_KEY (any
 * string of 32 characters or more, hashed to 256 bits), else 32 random bytes kept in
 * `<dataDir>/secret.key`, created mode 0600 on first use.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv): Buffer {
  const given = env.HANGAR_SECRET_KEY;
  if (given !== undefined && given !== '') {
    if (given.length < 32) {
      throw new ValidationError(
        'must be at least 32 characters (e.g. `openssl rand -base64 32`)',
        'HANGAR_SECRET_KEY',
      );
    }
    return createHash('sha256').update(given).digest();
  }
  const file = join(dataDir, SECRET_KEY_FILE);
  try {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(32).toString('base64'));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) {
    throw new ValidationError(`${file} does not hold a 32-byte base64 key`, 'HANGAR_SECRET_KEY');
  }
  return key;
}

const VERSION = 'v1';

/** AES-256-GCM: `v1.<iv>.<tag>.<ciphertext>`, base64url; `context` is bound as associated data. */
export function seal(key: Buffer, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), body]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

/** Opens what `seal` made with the same key and context; throws if either differs. */
export function unseal(key: Buffer, sealed: string, context: string): string {
  const [version, iv, tag, body] = sealed.split('.');
  if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
    throw new Error('not a sealed secret');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(context));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([
    decipher.update(Buffer.from(body, 'base64url')),
    decipher.final(),
  ]).toString('utf8');
}
