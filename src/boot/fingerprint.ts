// A checkpoint is only restored into the machine that wrote it: XState 5 checks neither id
// nor version, and a renamed state or actor silently hangs or crashes a restore.
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/** sha256 of the machine's definition: changes when a state, transition or actor key changes. */
export function machineFingerprint(machine: AnyStateMachine): string {
  return createHash('sha256').update(JSON.stringify(machine.definition)).digest('hex');
}
