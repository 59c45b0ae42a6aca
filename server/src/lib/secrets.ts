import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Secrets at rest (upstream tokens): AES-256-GCM under one 32-byte key, MREG_SECRET_KEY. A sealed
 * value is `version (1 byte) | nonce (12) | ciphertext | tag (16)`; the version leaves room for a
 * key rotation. The key never leaves this module's closure.
 */

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_BYTES = 32;

export interface SecretBox {
  seal(plaintext: string): Buffer;
  /** The plaintext, or throws when the value was not sealed under this key (or was altered). */
  open(sealed: Buffer): string;
}

export function secretBox(key: Buffer): SecretBox {
  if (key.length !== SECRET_KEY_BYTES) throw new Error(`A secret key is ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
  return {
    seal(plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()]);
    },
    open(sealed) {
      if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw new Error('Not a secret sealed by MREG');
      const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * The key: MREG_SECRET_KEY when set (parsed by the config schema), else the one generated once into
 * `<dataDir>/secret.key` (mode 0600) and read back at every start. Production never gets here
 * without MREG_SECRET_KEY (the config refuses it): instances sharing a database must share the key.
 */
export async function loadSecretKey(configured: Buffer | undefined, dataDir: string): Promise<{ key: Buffer; source: 'MREG_SECRET_KEY' | 'file' | 'new file' }> {
  if (configured) return { key: configured, source: 'MREG_SECRET_KEY' };
  const file = join(dataDir, 'secret.key');
  try {
    const key = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (key.length !== SECRET_KEY_BYTES) throw new Error(`holds ${key.length} bytes, not ${SECRET_KEY_BYTES}`);
    return { key, source: 'file' };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file} is unreadable (${(error as Error).message}); secrets saved under it cannot be read without it: restore it, or set MREG_SECRET_KEY`,
        { cause: error },
      );
    }
  }
  const key = randomBytes(SECRET_KEY_BYTES);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const partial = `${file}.${process.pid}.tmp`;
  await writeFile(partial, `${key.toString('base64')}\n`, { mode: 0o600 });
  await rename(partial, file);
  return { key, source: 'new file' };
}
