import { describe, expect, it } from 'vitest';
import { BACKENDS, useMigratedStore } from './backends.ts';
import { waitFor } from '../support/wait.ts';

describe.each(BACKENDS)('config table ($name)', (backend) => {
  const { store } = useMigratedStore(backend);

  it('inserts new keys and reads them back', async () => {
    await store().writeConfig({ GITEA_URL: 'http://localhost:3300', GITEA_ORG: 'gigi' });
    expect(await store().getConfigValue('GITEA_URL')).toBe('http://localhost:3300');
    expect(await store().getConfigValue('MISSING')).toBeUndefined();
    const config = await store().readConfig();
    expect(config.get('GITEA_ORG')).toMatchObject({ key: 'GITEA_ORG', value: 'gigi' });
    expect(config.get('GITEA_ORG')!.createdAt).toBeInstanceOf(Date);
  });

  it('keeps created_at, and bumps updated_at only when the value changes', async () => {
    await store().writeConfig({ K_SAME: 'one', K_CHANGED: 'one' });
    const before = await store().readConfig();
    const firstWrite = before.get('K_CHANGED')!.updatedAt.getTime();
    await waitFor('the clock to pass the first write', () => Date.now() > firstWrite, {
      timeout: 1000,
      interval: 1,
    });
    await store().writeConfig({ K_SAME: 'one', K_CHANGED: 'two' });
    const after = await store().readConfig();

    const same = [before.get('K_SAME')!, after.get('K_SAME')!];
    expect(same[1]).toEqual(same[0]);

    const changed = [before.get('K_CHANGED')!, after.get('K_CHANGED')!];
    expect(changed[1]!.value).toBe('two');
    expect(changed[1]!.createdAt).toEqual(changed[0]!.createdAt);
    expect(changed[1]!.updatedAt.getTime()).toBeGreaterThan(changed[0]!.updatedAt.getTime());
  });

  it('writes all entries in one transaction: a failing entry leaves every key untouched', async () => {
    await store().writeConfig({ TX_A: 'old' });
    // A NUL byte is rejected by Postgres text: the second insert fails after the first succeeded.
    const error = await store()
      .writeConfig({ TX_A: 'new', TX_B: 'bad\u0000value' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ domain: 'store' });
    expect((error as Error).message).toMatch(/TX_A, TX_B/);
    expect(await store().getConfigValue('TX_A')).toBe('old');
    expect(await store().getConfigValue('TX_B')).toBeUndefined();
  });

  it('treats a NULL value written by the app as unset', async () => {
    await store().db.query("INSERT INTO config (key, value) VALUES ('APP_NULL', NULL)");
    expect(await store().getConfigValue('APP_NULL')).toBeUndefined();
    expect((await store().readConfig()).has('APP_NULL')).toBe(false);
    await store().writeConfig({ APP_NULL: 'set now' });
    expect(await store().getConfigValue('APP_NULL')).toBe('set now');
  });
});
