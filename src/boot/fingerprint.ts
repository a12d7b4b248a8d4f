// A checkpoint is only restored into the machine that wrote it: XState 5 checks neither id
// nor version, and a renamed state or actor silently hangs or crashes a restore.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/** sha256 of the machine's definition: changes when a state, transition or actor key changes. */
export function machineFingerprint(machine: AnyStateMachine): string {
  return createHash('sha256').update(JSON.stringify(machine.definition)).digest('hex');
}

/** The boot machine's fingerprint, set by bin/build.mjs in the bundle (undefined under tsx). */
declare const __GIGI_BOOT_FINGERPRINT__: string | undefined;

/**
 * Why: a warm start only compares fingerprints, and loading XState and the machine for that
 * cost more than the rest of it. The bundle carries the hash computed at build time; run from
 * the sources, it is computed here, from the same machine.
 */
export async function bootFingerprint(): Promise<string> {
  if (typeof __GIGI_BOOT_FINGERPRINT__ === 'string') return __GIGI_BOOT_FINGERPRINT__;
  const { bootMachine } = await import('../../machines/boot.ts');
  return machineFingerprint(bootMachine);
}
