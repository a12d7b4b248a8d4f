import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { isBootError, StoreError } from '../../src/errors.ts';
import type { JournalEntry, StepOutcome } from '../../src/store/types.ts';
import { BACKENDS, journalEntry, useMigratedStore } from './backends.ts';

const MACHINE = { machineId: 'gigi-boot', machineVersion: '1', fingerprint: 'sha256:abc' };

describe.each(BACKENDS)('runs, checkpoints and journal ($name)', (backend) => {
  const { store, harness } = useMigratedStore(backend);

  it('starts a run, checkpoints it through to completion and lists runs newest first', async () => {
    const volumeId = randomUUID();
    expect(await store().latestRun(volumeId)).toBeNull();

    const first = await store().startRun({ volumeId, ...MACHINE });
    expect(first).toMatchObject({
      volumeId,
      ...MACHINE,
      status: 'running',
      seq: 0,
      finishedAt: null,
      error: null,
    });
    expect(first.runId).toMatch(/^[0-9a-f-]{36}$/);

    await store().saveCheckpoint({
      runId: first.runId,
      status: 'running',
      stateValue: { provisioning: 'createUsers' },
      snapshot: { status: 'active', value: { provisioning: 'createUsers' }, context: { attempts: [1, 2] } },
      journal: [journalEntry(first.runId, { step: 'startGitea', detail: { created: true } })],
    });
    let latest = await store().latestRun(volumeId);
    expect(latest).toMatchObject({
      runId: first.runId,
      status: 'running',
      seq: 1,
      stateValue: { provisioning: 'createUsers' },
      snapshot: { status: 'active', value: { provisioning: 'createUsers' }, context: { attempts: [1, 2] } },
      finishedAt: null,
    });
    expect(latest!.updatedAt.getTime()).toBeGreaterThanOrEqual(first.updatedAt.getTime());

    await store().saveCheckpoint({
      runId: first.runId,
      status: 'failed',
      stateValue: 'failed',
      snapshot: { status: 'done' },
      error: 'Gitea API answered 500 on POST /api/v1/admin/users',
      journal: [
        journalEntry(first.runId, { step: 'createAdmin', outcome: 'error', error: 'HTTP 500', attempt: 2 }),
      ],
    });
    latest = await store().latestRun(volumeId);
    expect(latest).toMatchObject({
      status: 'failed',
      seq: 2,
      stateValue: 'failed',
      error: expect.stringMatching(/500/),
    });
    expect(latest!.finishedAt).toBeInstanceOf(Date);

    const second = await store().startRun({ volumeId, ...MACHINE });
    expect((await store().latestRun(volumeId))?.runId).toBe(second.runId);
    expect((await store().listRuns(volumeId)).map((r) => r.runId)).toEqual([second.runId, first.runId]);
    expect((await store().listRuns(volumeId, 1)).map((r) => r.runId)).toEqual([second.runId]);
    expect(await store().listRuns(randomUUID())).toEqual([]);

    const journal = await store().journal(first.runId);
    expect(journal.map((j) => [j.step, j.outcome, j.attempt])).toEqual([
      ['startGitea', 'ok', 1],
      ['createAdmin', 'error', 2],
    ]);
    expect(journal[0]).toMatchObject({ durationMs: 1500, detail: { created: true }, error: null });
    expect(journal[0]!.startedAt).toBeInstanceOf(Date);
    expect(journal[1]!.error).toBe('HTTP 500');
  });

  it('rolls back the run update when one of its journal rows fails to insert', async () => {
    const volumeId = randomUUID();
    const run = await store().startRun({ volumeId, ...MACHINE });
    const bad = journalEntry(run.runId, { step: 'createOrg', outcome: 'exploded' as StepOutcome });

    const failure = await store()
      .saveCheckpoint({
        runId: run.runId,
        status: 'completed',
        stateValue: 'done',
        snapshot: { status: 'done' },
        journal: [journalEntry(run.runId, { step: 'createUsers' }), bad],
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).message).toMatch(new RegExp(`checkpoint of run ${run.runId}`));

    const after = await store().latestRun(volumeId);
    expect(after).toMatchObject({ status: 'running', seq: 0, stateValue: null, finishedAt: null });
    expect(await store().journal(run.runId)).toEqual([]);
  });

  it('refuses a checkpoint for a run that does not exist', async () => {
    const runId = randomUUID();
    const error = await store()
      .saveCheckpoint({
        runId,
        status: 'running',
        stateValue: 'x',
        snapshot: {},
        journal: [journalEntry(runId)],
      })
      .catch((e: unknown) => e);
    expect(isBootError(error) && error.domain).toBe('store');
    expect((error as Error).message).toContain(runId);
    expect(await store().journal(runId)).toEqual([]);
  });

  it('records boots that waited for the boot lock, per volume, oldest first, without touching the journal', async () => {
    const volumeId = randomUUID();
    expect(await store().lockWaits(volumeId)).toEqual([]);
    const run = await store().startRun({ volumeId, ...MACHINE });
    const wait = {
      volumeId,
      runId: run.runId,
      waiterHost: 'box-2',
      waiterPid: 4242,
      holder: "gigi-boot pid=17 host=box-1; it's",
      startedAt: new Date('2026-01-02T03:04:05.678Z'),
      waitedMs: 12_345.6,
      then: 'warm',
    };
    await store().recordLockWait(wait);
    await store().recordLockWait({ ...wait, runId: null, waiterPid: 4243, holder: null, then: 'fresh' });
    await store().recordLockWait({ ...wait, volumeId: randomUUID() });
    expect(await store().lockWaits(volumeId)).toEqual([
      { ...wait, waitedMs: 12_346 },
      { ...wait, runId: null, waiterPid: 4243, holder: null, then: 'fresh', waitedMs: 12_346 },
    ]);
    expect(await store().journal(run.runId)).toEqual([]);
  });

  it('appends journal rows outside a checkpoint, in order', async () => {
    const run = await store().startRun({ volumeId: randomUUID(), ...MACHINE });
    const entries: JournalEntry[] = ['a', 'b', 'c'].map((step, i) =>
      journalEntry(run.runId, { step, attempt: i + 1, outcome: 'skipped' }),
    );
    await store().appendJournal(entries);
    await store().appendJournal([]);
    expect((await store().journal(run.runId)).map((j) => j.step)).toEqual(['a', 'b', 'c']);
  });

  it('stores quotes, semicolons, newlines and SQL-looking text verbatim', async () => {
    const nasty = `Robert'); DROP TABLE gigi_boot_runs; --\n"quoted" \\ back\\slash $1 %s \u00e9\u{1F600}`;
    const volumeId = `vol'; DELETE FROM gigi_boot_runs; --`;
    const run = await store().startRun({
      volumeId,
      machineId: nasty,
      machineVersion: nasty,
      fingerprint: nasty,
    });
    await store().saveCheckpoint({
      runId: run.runId,
      status: 'degraded',
      stateValue: { [nasty]: nasty },
      snapshot: { text: nasty },
      error: nasty,
      journal: [journalEntry(run.runId, { step: nasty, error: nasty, detail: { note: nasty } })],
    });
    const latest = await store().latestRun(volumeId);
    expect(latest).toMatchObject({
      machineId: nasty,
      machineVersion: nasty,
      fingerprint: nasty,
      stateValue: { [nasty]: nasty },
      snapshot: { text: nasty },
      error: nasty,
      volumeId,
    });
    const [row] = await store().journal(run.runId);
    expect(row).toMatchObject({ step: nasty, error: nasty, detail: { note: nasty } });

    await store().writeConfig({ [nasty]: nasty, plain: `a'b;c\nd` });
    expect(await store().getConfigValue(nasty)).toBe(nasty);
    expect(await store().getConfigValue('plain')).toBe(`a'b;c\nd`);
    const tables = await store().db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'gigi_boot_runs'",
    );
    expect(tables[0]!.n).toBe(1);
  });

  it('notifies gigi_boot_progress listeners with the run id once a checkpoint commits', async () => {
    const run = await store().startRun({ volumeId: randomUUID(), ...MACHINE });
    const received: string[] = [];
    const stop = await store().onProgress((runId) => received.push(runId));

    // On Postgres, an independent LISTENer (another process's view) hears it too.
    let external: pg.Client | undefined;
    const externalReceived: string[] = [];
    if (harness().databaseUrl !== undefined) {
      external = new pg.Client({ connectionString: harness().databaseUrl });
      await external.connect();
      external.on('notification', (message) =>
        externalReceived.push(`${message.channel}:${message.payload}`),
      );
      await external.query('LISTEN gigi_boot_progress');
    }
    try {
      // A failed checkpoint notifies nobody.
      await store()
        .saveCheckpoint({
          runId: run.runId,
          status: 'running',
          stateValue: 'x',
          snapshot: {},
          journal: [journalEntry(run.runId, { attempt: 0 })],
        })
        .catch(() => undefined);
      await store().saveCheckpoint({
        runId: run.runId,
        status: 'running',
        stateValue: 'x',
        snapshot: {},
        journal: [],
      });
      await expect.poll(() => received, { timeout: 5000 }).toEqual([run.runId]);
      if (external) {
        await expect
          .poll(() => externalReceived, { timeout: 5000 })
          .toEqual([`gigi_boot_progress:${run.runId}`]);
      }
    } finally {
      await stop();
      await external?.end();
    }
    // A stopped listener hears nothing more: once a listener started now has heard the next
    // checkpoint, the notification has been delivered.
    const heardLater: string[] = [];
    const stopLater = await store().onProgress((runId) => heardLater.push(runId));
    try {
      await store().saveCheckpoint({
        runId: run.runId,
        status: 'completed',
        stateValue: 'done',
        snapshot: {},
        journal: [],
      });
      await expect.poll(() => heardLater, { timeout: 5000 }).toEqual([run.runId]);
    } finally {
      await stopLater();
    }
    expect(received).toEqual([run.runId]);
  });
});
