import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from './postgres.ts';
import { testServerUrl } from './env.ts';

describe('test harness', () => {
  it('gives each test file a database of its own on the throwaway cluster', async () => {
    const url = await createTestDatabase(testServerUrl());
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(url.endsWith(`/${rows[0]!.db}`)).toBe(true);
  });
});
