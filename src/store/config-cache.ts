// The config table as the steps of one boot read it: fetched once, then kept in step with what
// the boot writes itself. While a boot holds its volume's lock nothing else writes these rows
// (another boot waits for the lock; the app starts at the hand-off, after the last step that
// reads them), so a step's read needs no round trip. Each one used to: several per Gitea step,
// each queued behind the checkpoint writes on the boot's one connection (~7 ms a step).
import type { Store } from './types.ts';

type Values = Map<string, string>;

/** The store with getConfigValue served from one read of the table, writeConfig written through. */
export function withConfigCache(store: Store): Store {
  let values: Promise<Values> | undefined;
  const load = (): Promise<Values> => {
    if (!values) {
      const loading = store
        .readConfig()
        .then((rows) => new Map([...rows].map(([key, row]) => [key, row.value] as const)));
      values = loading;
      // A failed read is not kept: the step's retry reads again.
      loading.catch(() => {
        if (values === loading) values = undefined;
      });
    }
    return values;
  };
  const overrides: Pick<Store, 'getConfigValue' | 'writeConfig'> = {
    getConfigValue: async (key) => (await load()).get(key),
    writeConfig: async (entries) => {
      try {
        await store.writeConfig(entries);
      } catch (error) {
        // The write may have landed before the error (a lost answer): the table is the truth.
        values = undefined;
        throw error;
      }
      if (!values) return; // not read yet: the first read sees this write
      const cached = await values.catch(() => undefined);
      if (!cached) return;
      for (const [key, value] of Object.entries(entries)) cached.set(key, value);
    },
  };
  return new Proxy(store, {
    get(target, property) {
      if (property in overrides) return overrides[property as keyof typeof overrides];
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
