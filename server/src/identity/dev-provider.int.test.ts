import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDevKeys } from './dev-provider';

describe('development provider keys', () => {
  it('are made once under MREG_DATA_DIR, readable by the owner only, and read back unchanged', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mreg-keys-'));
    try {
      const first = await loadDevKeys(dir);
      const file = join(dir, 'dev-idp', 'keys.json');
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      expect(first.signingKey).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(first.signingKey.d).toBeTypeOf('string');
      expect(await loadDevKeys(dir)).toEqual(first);
      expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(first);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuse to start from a damaged key file, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mreg-keys-'));
    try {
      await loadDevKeys(dir);
      const file = join(dir, 'dev-idp', 'keys.json');
      await writeFile(file, '{"signingKey":');
      await expect(loadDevKeys(dir)).rejects.toThrow(`${file} is unreadable`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
