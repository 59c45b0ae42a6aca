import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSecretKey, secretBox } from './secrets';

describe('secretBox', () => {
  const box = secretBox(randomBytes(32));

  it('seals so that the plaintext is nowhere in the bytes, and opens what it sealed', () => {
    const sealed = box.seal('sk-live-token-1234567890');
    expect(sealed.includes(Buffer.from('sk-live-token'))).toBe(false);
    expect(box.open(sealed)).toBe('sk-live-token-1234567890');
    // A fresh nonce each time: the same secret never seals to the same bytes.
    expect(box.seal('same').equals(box.seal('same'))).toBe(false);
  });

  it('refuses what another key sealed, and anything altered', () => {
    const sealed = box.seal('secret');
    expect(() => secretBox(randomBytes(32)).open(sealed)).toThrow();
    const altered = Buffer.from(sealed);
    altered[20] = altered[20]! ^ 1;
    expect(() => box.open(altered)).toThrow();
    expect(() => box.open(Buffer.from([9, 1, 2]))).toThrow('Not a secret sealed by MREG');
  });

  it('takes 32-byte keys only', () => {
    expect(() => secretBox(randomBytes(16))).toThrow('A secret key is 32 bytes, not 16');
  });
});

describe('loadSecretKey', () => {
  it('takes MREG_SECRET_KEY when set, else makes one once in the data directory (0600) and reads it back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mreg-secret-'));
    try {
      const configured = randomBytes(32);
      expect(await loadSecretKey(configured, dir)).toEqual({ key: configured, source: 'MREG_SECRET_KEY' });
      const made = await loadSecretKey(undefined, dir);
      expect(made.source).toBe('new file');
      expect((await stat(join(dir, 'secret.key'))).mode & 0o777).toBe(0o600);
      const again = await loadSecretKey(undefined, dir);
      expect(again).toEqual({ key: made.key, source: 'file' });
      expect(Buffer.from((await readFile(join(dir, 'secret.key'), 'utf8')).trim(), 'base64').equals(made.key)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a damaged key file, naming it, rather than making a new key that would orphan the secrets', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mreg-secret-'));
    try {
      await writeFile(join(dir, 'secret.key'), 'c2hvcnQ=\n');
      await expect(loadSecretKey(undefined, dir)).rejects.toThrow(`${join(dir, 'secret.key')} is unreadable (holds 5 bytes, not 32)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
