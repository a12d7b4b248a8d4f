import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { openStore, redactDatabaseUrl } from '../../src/store/index.ts';
import { freePort } from '../support/postgres.ts';
import { testServerUrl } from '../support/env.ts';

const PASSWORD = 'pa55:w/rd@secret';
const ENCODED = encodeURIComponent(PASSWORD);

function expectNoPassword(error: unknown): void {
  const everything = `${String(error)}\n${inspect(error, { depth: 5 })}\n${JSON.stringify(error)}`;
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(ENCODED);
  expect(everything).not.toContain('secret');
}

async function openError(databaseUrl: string): Promise<StoreError> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gigi-boot-conn-'));
  try {
    const error = await openStore({ databaseUrl, dataDir }).then(
      async (store) => {
        await store.close();
        return new Error('openStore unexpectedly succeeded');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    return error as StoreError;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('redactDatabaseUrl', () => {
  it('hides the password and keeps everything else', () => {
    expect(redactDatabaseUrl(`postgres://gigi:${ENCODED}@db.internal:5433/gigi?sslmode=require`)).toBe(
      'postgres://gigi:***@db.internal:5433/gigi?sslmode=require',
    );
    expect(redactDatabaseUrl('postgresql://gigi@localhost/gigi')).toBe('postgresql://gigi@localhost/gigi');
    expect(redactDatabaseUrl('postgres://u@h/db?password=hunter2&application_name=x')).toBe(
      'postgres://u@h/db?password=***&application_name=x',
    );
  });

  it('still hides the password of a URL it cannot parse', () => {
    const redacted = redactDatabaseUrl('postgres://gigi:hunter2@[bad host/db');
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toContain('gigi:***@');
    expect(redactDatabaseUrl('host=db user=gigi password=hunter2 dbname=x')).toBe(
      'host=db user=gigi password=*** dbname=x',
    );
  });
});

describe('connection failures (postgres)', () => {
  it('an unreachable server is a transient StoreError naming host:port and the redacted URL, never the password', async () => {
    const port = await freePort();
    const error = await openError(`postgres://gigi:${ENCODED}@127.0.0.1:${port}/gigi`);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(error.message).toContain(`postgres://gigi:***@127.0.0.1:${port}/gigi`);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.hint).toMatch(/DATABASE_URL/);
    expect(error.transient).toBe(true);
    expectNoPassword(error);
  });

  it('a missing database is a permanent StoreError naming the database, never the password', async () => {
    const url = new URL(testServerUrl());
    url.password = PASSWORD;
    url.pathname = '/no_such_database_here';
    const error = await openError(url.toString());
    expect(error.message).toMatch(/database "no_such_database_here" does not exist/);
    expect(error.message).toContain(`${url.hostname}:${url.port}`);
    expect(error.message).toContain(':***@');
    expect(error.hint).toMatch(/createdb|database name/);
    expect(error.transient).toBe(false);
    expectNoPassword(error);
  });
});

describe('unusable data directory (pglite)', () => {
  it('is a StoreError naming the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gigi-boot-conn-'));
    try {
      const notADir = join(dir, 'data');
      await writeFile(notADir, 'a file where the data directory should be');
      const error = await openStore({ databaseUrl: undefined, dataDir: notADir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain(join(notADir, 'gigi-boot'));
      expect((error as StoreError).hint).toMatch(/GIGI_DATA_DIR/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
