// withConfigCache over the real stores: the steps of a boot read the config table once; what the
// boot writes is written through, and a failed read or write leaves nothing stale behind. The
// faults (a lost connection, a lost answer) are injected around the real store's calls.
import { beforeEach, describe, expect, it } from 'vitest';
import { withConfigCache } from '../../src/store/config-cache.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { Store } from '../../src/store/types.ts';
import { BACKENDS, useMigratedStore } from './backends.ts';

/** The store, counting the config reads and writes that reach it; `fail` breaks the next one. */
function watched(store: SqlStore) {
  const counts = { reads: 0, writes: 0 };
  const fail = { read: false, write: false };
  const spy = new Proxy(store, {
    get(target, property) {
      if (property === 'readConfig' || property === 'getConfigValue')
        return async (...args: unknown[]) => {
          counts.reads++;
          if (fail.read) {
            fail.read = false;
            throw new Error('connection lost');
          }
          return (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      if (property === 'writeConfig')
        return async (entries: Record<string, string>) => {
          counts.writes++;
          await target.writeConfig(entries);
          if (fail.write) {
            fail.write = false;
            throw new Error('answer lost'); // it landed; the answer did not
          }
        };
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  }) as Store;
  return { spy, counts, fail };
}

describe.each(BACKENDS)('withConfigCache ($name)', (backend) => {
  const { store: opened } = useMigratedStore(backend);
  let store: SqlStore;
  beforeEach(() => {
    store = opened();
  });

  it('reads the table once for any number of reads, and sees its own writes', async () => {
    await store.writeConfig({ admin_password: 'a' });
    const { spy, counts } = watched(store);
    const cached = withConfigCache(spy);
    expect(await cached.getConfigValue('admin_password')).toBe('a');
    expect(await cached.getConfigValue('admin_password')).toBe('a');
    expect(await cached.getConfigValue('gitea_token')).toBeUndefined();
    await cached.writeConfig({ gitea_token: 't', admin_password: 'b' });
    expect(await cached.getConfigValue('gitea_token')).toBe('t');
    expect(await cached.getConfigValue('admin_password')).toBe('b');
    expect(counts).toEqual({ reads: 1, writes: 1 });
    expect(await store.getConfigValue('admin_password')).toBe('b');
  });

  it('a write before any read reaches the table; the first read then sees it', async () => {
    const { spy, counts } = watched(store);
    const cached = withConfigCache(spy);
    await cached.writeConfig({ webhook_secret: 's' });
    expect(await store.getConfigValue('webhook_secret')).toBe('s');
    expect(await cached.getConfigValue('webhook_secret')).toBe('s');
    expect(counts).toEqual({ reads: 1, writes: 1 });
  });

  it('a failed read is not kept: the next read asks the table again', async () => {
    const { spy, counts, fail } = watched(store);
    const cached = withConfigCache(spy);
    fail.read = true;
    await expect(cached.getConfigValue('gitea_token')).rejects.toThrow('connection lost');
    expect(await cached.getConfigValue('gitea_token')).toBe('t');
    expect(counts.reads).toBe(2);
  });

  it('after a failed write the table is the truth (the write may have landed)', async () => {
    const { spy, fail } = watched(store);
    const cached = withConfigCache(spy);
    expect(await cached.getConfigValue('admin_password')).toBe('b');
    fail.write = true;
    await expect(cached.writeConfig({ admin_password: 'c' })).rejects.toThrow('answer lost');
    expect(await cached.getConfigValue('admin_password')).toBe('c');
  });

  it('passes everything else to the store', async () => {
    const cached = withConfigCache(store);
    expect(cached.kind).toBe(backend.name);
    expect((await cached.readConfig()).get('webhook_secret')?.value).toBe('s');
  });
});
