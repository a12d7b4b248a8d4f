// The warm path decides with the fingerprint bin/build.mjs computed into the bundle, without
// loading XState; the machine the bundle carries is the one that fingerprint must describe, or
// every restart would take the fresh path (or, worse, restore into a different machine).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bootMachine } from '../../machines/boot.ts';
import { bootFingerprint, machineFingerprint } from '../../src/boot/fingerprint.ts';
import { BOOT_FINGERPRINT } from '../../src/boot/run-boot.ts';
import { REPO_ROOT } from '../support/boot-process.ts';

function bundleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bundleFiles(path);
    return entry.name.endsWith('.cjs') ? [path] : [];
  });
}

describe('boot machine fingerprint', () => {
  it('run from the sources, bootFingerprint() is the running machine', async () => {
    expect(await bootFingerprint()).toBe(machineFingerprint(bootMachine));
    expect(BOOT_FINGERPRINT).toBe(machineFingerprint(bootMachine));
  });

  it('the bundle (built by the global setup with bin/build.mjs) carries the same fingerprint', () => {
    const expected = machineFingerprint(bootMachine);
    const carrying = bundleFiles(join(REPO_ROOT, 'dist')).filter((file) =>
      readFileSync(file, 'utf8').includes(`"${expected}"`),
    );
    expect(carrying.length).toBeGreaterThan(0);
  });
});
