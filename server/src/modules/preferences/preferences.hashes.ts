/**
 * Kept data for preferences stored in Redis (MREG_FASTMCP_PREFERENCES_STORAGE=redis|both): hashes
 * without expiry, `<group>:<member>` (field -> JSON), and the group's index, the set `<group>` of
 * its members. Never evicted. Unlike the cache's key-value methods, these throw
 * CacheUnavailableError rather than answer a failure as a miss, since Redis may be the only place
 * the data lives. Fields and members are non-empty: "" is the field (in a hash) and the member (in an
 * index) that mark them complete, i.e. holding everything their source holds. Without Redis (tests
 * of the embedded defaults) the in-process cache keeps them beside its LRU.
 */
export interface PreferenceHashes {
  /**
   * Sets `fields` in the member's hash and lists the member in the group, atomically; with `limits`,
   * only when the hash then holds at most `maxFields` fields and the group at most `maxMembers`
   * members, else nothing is written. `complete` marks the hash complete (the caller wrote all its
   * source holds). Answers the hash after the write.
   */
  write(group: string, member: string, fields: Record<string, unknown>, options?: HashWriteOptions): Promise<HashWriteResult>;
  /**
   * Refills from a source of record: adds only the fields a hash lacks (HSETNX), so that a newer value
   * a writer put there stays, then marks each hash complete; `groupComplete` marks the index complete
   * too (after the members). Members without fields are skipped.
   */
  fill(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void>;
  /** A member's hash: no fields and not complete when there is none. */
  read(group: string, member: string): Promise<StoredHash>;
  /** Every member's hash, and whether the index is complete. */
  readGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }>;
  /**
   * A member's hash that must go (its copy missed a write). When Redis cannot take the delete, this
   * process reads the hash as absent and deletes it before anything else as soon as Redis is back,
   * so a stale copy is never read as complete. Never throws.
   */
  drop(group: string, member: string): Promise<void>;
}

export interface HashWriteOptions {
  limits?: { maxFields: number; maxMembers: number };
  complete?: boolean;
}

export interface StoredHash {
  fields: Record<string, unknown>;
  complete: boolean;
}

export type HashWriteResult =
  | ({ written: true } & StoredHash)
  | { written: false; limit: 'fields'; count: number; adding: number }
  | { written: false; limit: 'members'; count: number };

/** Redis could not be reached for an operation on kept data, which must not answer a miss in place of data. */
export class CacheUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Cache unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CacheUnavailableError';
  }
}

/** Field of a complete hash and member of a complete index. */
export const COMPLETE = '';

export function assertNames(names: Iterable<string>, what: string): void {
  for (const name of names) if (name === COMPLETE) throw new Error(`${what} names must not be empty`);
}

/** A hash's stored fields (JSON) as StoredHash; the completeness marker is no field. */
export function storedHash(entries: Iterable<[string, string]>): StoredHash {
  let complete = false;
  const fields: [string, unknown][] = [];
  for (const [field, json] of entries) {
    if (field === COMPLETE) complete = true;
    else fields.push([field, JSON.parse(json)]);
  }
  // fromEntries defines properties, so even a "__proto__" field is a field.
  return { fields: Object.fromEntries(fields), complete };
}

/** The hashes in the in-process cache's kept map. Each method runs without an await in between, so each is atomic as Redis's scripts are. */
export class MemoryHashes implements PreferenceHashes {
  constructor(
    private readonly kept: Map<string, unknown>,
    private readonly key: (key: string) => string,
  ) {}

  private hash(group: string, member: string): Map<string, string> | undefined {
    return this.kept.get(this.key(`${group}:${member}`)) as Map<string, string> | undefined;
  }

  private index(group: string): Set<string> | undefined {
    return this.kept.get(this.key(group)) as Set<string> | undefined;
  }

  async write(group: string, member: string, fields: Record<string, unknown>, { limits, complete }: HashWriteOptions = {}): Promise<HashWriteResult> {
    const names = Object.keys(fields);
    assertNames([member, ...names], 'Member and field');
    const hash = this.hash(group, member);
    const index = this.index(group);
    if (limits) {
      const count = (hash?.size ?? 0) - (hash?.has(COMPLETE) ? 1 : 0);
      const adding = names.filter((name) => !hash?.has(name)).length;
      if (count + adding > limits.maxFields) return { written: false, limit: 'fields', count, adding };
      if (adding > 0 && !index?.has(member)) {
        const members = (index?.size ?? 0) - (index?.has(COMPLETE) ? 1 : 0);
        if (members >= limits.maxMembers) return { written: false, limit: 'members', count: members };
      }
    }
    if (names.length > 0) {
      const target = hash ?? new Map<string, string>();
      for (const name of names) target.set(name, JSON.stringify(fields[name]));
      if (complete) target.set(COMPLETE, '1');
      this.kept.set(this.key(`${group}:${member}`), target);
      this.kept.set(this.key(group), (index ?? new Set<string>()).add(member));
    }
    return { written: true, ...storedHash(this.hash(group, member) ?? []) };
  }

  async fill(group: string, members: Record<string, Record<string, unknown>>, groupComplete: boolean): Promise<void> {
    const index = this.index(group) ?? new Set<string>();
    for (const [member, fields] of Object.entries(members)) {
      const names = Object.keys(fields);
      if (names.length === 0) continue;
      assertNames([member, ...names], 'Member and field');
      const hash = this.hash(group, member) ?? new Map<string, string>();
      for (const name of names) if (!hash.has(name)) hash.set(name, JSON.stringify(fields[name]));
      hash.set(COMPLETE, '1');
      this.kept.set(this.key(`${group}:${member}`), hash);
      index.add(member);
    }
    if (groupComplete) index.add(COMPLETE);
    if (index.size > 0) this.kept.set(this.key(group), index);
  }

  async read(group: string, member: string): Promise<StoredHash> {
    return storedHash(this.hash(group, member) ?? []);
  }

  async readGroup(group: string): Promise<{ members: Record<string, StoredHash>; complete: boolean }> {
    const index = this.index(group) ?? new Set<string>();
    const members = [...index].filter((member) => member !== COMPLETE);
    return {
      members: Object.fromEntries(members.map((member) => [member, storedHash(this.hash(group, member) ?? [])])),
      complete: index.has(COMPLETE),
    };
  }

  async drop(group: string, member: string): Promise<void> {
    this.kept.delete(this.key(`${group}:${member}`));
  }
}
