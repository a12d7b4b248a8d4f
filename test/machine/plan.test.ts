// planStart's runner-worker decisions, pure: a finished run whose Gitea work is done re-does
// only the image (when it failed and the retry is due, or its digest changed), and otherwise
// starts warm; runnerRecordOf is what a checkpoint records for the next start to decide on.
import { describe, expect, it } from 'vitest';
import type { BootContext } from '../../machines/boot.ts';
import {
  planStart,
  runnerRetryDelayMs,
  type RunnerRecord,
  type StoredSnapshot,
} from '../../src/boot/plan.ts';
import { runnerRecordOf } from '../../src/boot/run-boot.ts';
import type { RunRecord, RunStatus } from '../../src/store/types.ts';

const NOW = new Date('2026-12-07T12:00:00Z');
const MIN = 60_000;

function run(status: RunStatus, runner?: RunnerRecord, configDigest = 'cfg'): RunRecord {
  const snapshot: StoredSnapshot = { xstate: {}, configDigest, ...(runner ? { runner } : {}) };
  return {
    runId: 'r1',
    volumeId: 'v',
    machineId: 'boot',
    machineVersion: '3',
    fingerprint: 'fp',
    status,
    stateValue: 'done',
    snapshot,
    startedAt: NOW,
    updatedAt: NOW,
    finishedAt: NOW,
    error: null,
    seq: 1,
  };
}

/** The image record of digest 'img' in `state`, never failed. */
const image = (state: RunnerRecord['state'], attempts = 0): RunnerRecord => ({
  digest: 'img',
  state,
  attempts,
  failedAt: null,
  nextDueAt: null,
});
const failed = (attempts: number, failedAt: Date): RunnerRecord => ({
  ...image('failed', attempts),
  failedAt: failedAt.toISOString(),
});
const plan = (latest: RunRecord, digest = 'img') =>
  planStart(latest, 'fp', 'cfg', { digest, retryBaseMs: 5 * MIN, now: NOW });

describe('planStart: the runner-worker image', () => {
  it('is warm when the image is current for this digest, completed or not', () => {
    expect(plan(run('completed', image('current'))).kind).toBe('warm');
  });

  it('after a failed build: warm until the backoff is due, then the image only', () => {
    const justFailed = run('degraded', failed(1, new Date(NOW.getTime() - 4 * MIN)));
    expect(plan(justFailed)).toMatchObject({ kind: 'warm', reason: expect.stringMatching(/next try/) });
    const due = run('degraded', failed(1, new Date(NOW.getTime() - 5 * MIN)));
    expect(plan(due)).toMatchObject({ kind: 'runner', attemptsBefore: 1 });
    // The backoff doubles per failed restart: after 3 failures, 20 minutes.
    expect(plan(run('degraded', failed(3, new Date(NOW.getTime() - 19 * MIN)))).kind).toBe('warm');
    expect(plan(run('degraded', failed(3, new Date(NOW.getTime() - 20 * MIN)))).kind).toBe('runner');
  });

  it('rebuilds at once (no backoff) when the digest changed, and re-runs a build that never finished', () => {
    expect(plan(run('degraded', failed(4, NOW)), 'other')).toMatchObject({
      kind: 'runner',
      attemptsBefore: 0,
    });
    expect(plan(run('completed', image('pending', 2))).kind).toBe('runner');
  });

  it('a changed configuration still re-runs everything', () => {
    expect(plan(run('degraded', failed(1, NOW), 'old-cfg')).kind).toBe('fresh');
  });

  it('caps the backoff at 6 hours', () => {
    expect(runnerRetryDelayMs(1, 5 * MIN)).toBe(5 * MIN);
    expect(runnerRetryDelayMs(30, 5 * MIN)).toBe(6 * 60 * MIN);
  });
});

describe('runnerRecordOf', () => {
  const context = (outcome: string | undefined, docker = true, degraded: string[] = []) =>
    ({
      modes: { gitea: 'internal', chrome: 'internal', docker },
      outcomes: outcome ? { buildRunnerWorker: outcome } : {},
      degraded,
    }) as unknown as BootContext;

  it('records a failed build with one more attempt and its due time', () => {
    expect(runnerRecordOf(context('failed'), 'img', 2, 5 * MIN, NOW)).toEqual({
      digest: 'img',
      state: 'failed',
      attempts: 3,
      failedAt: NOW.toISOString(),
      nextDueAt: new Date(NOW.getTime() + 20 * MIN).toISOString(),
    });
  });

  it('a configured engine that never answered counts as failed; no engine configured is current', () => {
    expect(runnerRecordOf(context('skipped', true), 'img', 0, MIN, NOW).state).toBe('failed');
    expect(runnerRecordOf(context('skipped', false), 'img', 0, MIN, NOW).state).toBe('current');
  });

  it('a build that has not finished is pending and keeps the attempts so far', () => {
    expect(runnerRecordOf(context(undefined), 'img', 2, MIN, NOW)).toMatchObject({
      state: 'pending',
      attempts: 2,
    });
    expect(runnerRecordOf(context('built'), 'img', 2, MIN, NOW)).toMatchObject({
      state: 'current',
      attempts: 0,
    });
  });
});
