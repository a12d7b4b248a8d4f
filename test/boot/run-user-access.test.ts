// The run user's access is asked of a setpriv child once, then taken from the record while
// nothing it rests on changes: a mode, an owner (ctime alone), the record's own directory. The
// child is real; node:child_process is wrapped only to count how often it is started.
import { chmodSync, chownSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const spawned = vi.hoisted(() => ({ setpriv: 0 }));
vi.mock('node:child_process', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:child_process')>();
  return {
    ...real,
    execFile: ((file: string, ...rest: unknown[]) => {
      if (file === 'setpriv') spawned.setpriv++;
      return (real.execFile as (...args: unknown[]) => unknown)(file, ...rest);
    }) as typeof real.execFile,
  };
});

const { checkBeforeWriting } = await import('../../src/boot/preflight.ts');
const { recordAccess, recordedAccess } = await import('../../src/boot/run-user-access.ts');
const { loadConfig } = await import('../../src/config/index.ts');
const { bootEnv } = await import('../support/boot-process.ts');

describe.runIf(process.getuid?.() === 0)('the run user access record', () => {
  let env: Record<string, string>;
  const check = async () => {
    const { config } = await loadConfig(env);
    const before = spawned.setpriv;
    const result = await checkBeforeWriting(config, env);
    return { result, asked: spawned.setpriv - before };
  };
  /** A check whose child said yes, recorded as `run` records it. */
  const checkedAndRecorded = async () => {
    const { result, asked } = await check();
    expect(asked).toBe(1);
    expect(result.accessToRecord).toMatch(/^[0-9a-f]{64}$/);
    await recordAccess(env.GIGI_DATA_DIR!, result.accessToRecord!);
  };
  beforeEach(async () => {
    env = await bootEnv();
  });
  afterEach(() => {
    chmodSync(env.GIGI_DATA_DIR!, 0o755);
  });

  it('asks the child once; while nothing changes the record answers, and check writes nothing', async () => {
    expect(await recordedAccess(env.GIGI_DATA_DIR!)).toBeUndefined();
    await checkedAndRecorded();
    const record = statSync(join(env.GIGI_DATA_DIR!, 'gigi-boot', 'run-user-access'));
    expect([record.uid, record.mode & 0o777]).toEqual([0, 0o600]);
    expect(await check()).toEqual({ result: {}, asked: 0 });
    expect(await check()).toEqual({ result: {}, asked: 0 });
  });

  it('asks again after a mode change, and reports a no even with an older record', async () => {
    await checkedAndRecorded();
    chmodSync(env.GIGI_DATA_DIR!, 0o700);
    const { config } = await loadConfig(env);
    const before = spawned.setpriv;
    await expect(checkBeforeWriting(config, env)).rejects.toThrow(
      /GIGI_DATA_DIR: .* cannot be entered by the Gitea run user gigi/,
    );
    expect(spawned.setpriv - before).toBe(1);
  });

  it('asks again after an owner change that leaves the mode as it was (ctime alone moved)', async () => {
    await checkedAndRecorded();
    const { uid, gid } = statSync(env.GIGI_DATA_DIR!);
    chownSync(env.GIGI_DATA_DIR!, uid, gid);
    expect((await check()).asked).toBe(1);
  });

  it('does not ask again when files come and go in a directory on the way', async () => {
    await checkedAndRecorded();
    mkdirSync(join(env.GIGI_DATA_DIR!, 'workspace'));
    expect((await check()).asked).toBe(0);
  });

  it('trusts no record outside a private directory of its own', async () => {
    await checkedAndRecorded();
    chmodSync(join(env.GIGI_DATA_DIR!, 'gigi-boot'), 0o755);
    expect(await recordedAccess(env.GIGI_DATA_DIR!)).toBeUndefined();
    expect((await check()).asked).toBe(1);
  });
});
