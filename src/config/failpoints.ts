// GIGI_BOOT_FAILPOINTS: make chosen boot steps fail, or the process crash, on purpose — for the
// model-based process tests and for operators rehearsing recovery (an ops drill). The idea is
// etcd's gofail: a named point in the code, armed from outside with a small term language.
//
//   GIGI_BOOT_FAILPOINTS="persistConfig=transient*1,handOff=permanent,createOrg=off*1->crash*1"
//
// Each entry arms one step; its terms apply to the step's attempts in this process, in order:
// `action*N` for the next N attempts, a bare `action` for every attempt after (last term only).
// When the terms are used up the step runs normally. Pure: parsing only, no effects.
import { BOOT_STEPS, isBootStep, type BootStep } from '../../machines/boot-logic.ts';

export const FAILPOINT_ACTIONS = ['off', 'transient', 'permanent', 'crash'] as const;
export type FailpointAction = (typeof FAILPOINT_ACTIONS)[number];

export interface FailpointTerm {
  action: FailpointAction;
  /** Attempts this term applies to; undefined: every attempt from here on. */
  times: number | undefined;
}

export type Failpoints = Partial<Record<BootStep, readonly FailpointTerm[]>>;

export const FAILPOINTS_SYNTAX = `STEP=TERM[->TERM…] entries separated by commas, no spaces; STEP one of ${BOOT_STEPS.join(', ')}; TERM one of ${FAILPOINT_ACTIONS.join(', ')}, optionally followed by *N (N 1-1000 attempts; only the last term may omit it)`;

const TERM = /^([a-z]+)(?:\*(\d{1,4}))?$/;

function parseTerm(text: string): FailpointTerm | string {
  const match = TERM.exec(text);
  const action = match?.[1];
  if (!match || !(FAILPOINT_ACTIONS as readonly string[]).includes(action ?? ''))
    return `unknown term ${JSON.stringify(text)}`;
  const times = match[2] === undefined ? undefined : Number(match[2]);
  if (times !== undefined && (times < 1 || times > 1000))
    return `term ${JSON.stringify(text)}: N must be 1-1000`;
  return { action: action as FailpointAction, times };
}

/** Parse the setting; a string is the problem (without the syntax, which the caller adds). */
export function parseFailpoints(value: string): Failpoints | string {
  const out: Failpoints = {};
  for (const entry of value.split(',')) {
    const eq = entry.indexOf('=');
    const step = eq > 0 ? entry.slice(0, eq) : '';
    if (!isBootStep(step)) return `${JSON.stringify(entry)} does not start with a boot step and "="`;
    if (out[step]) return `${step} is armed twice`;
    const terms: FailpointTerm[] = [];
    const parts = entry.slice(eq + 1).split('->');
    for (const [index, part] of parts.entries()) {
      const term = parseTerm(part);
      if (typeof term === 'string') return `${step}: ${term}`;
      if (term.times === undefined && index < parts.length - 1)
        return `${step}: only the last term may omit *N (${JSON.stringify(part)} is followed by more)`;
      terms.push(term);
    }
    out[step] = terms;
  }
  return out;
}

/** The action for a step's attempt number `call` (0-based, counted in this process). */
export function failpointActionAt(terms: readonly FailpointTerm[], call: number): FailpointAction {
  let remaining = call;
  for (const term of terms) {
    if (term.times === undefined) return term.action;
    if (remaining < term.times) return term.action;
    remaining -= term.times;
  }
  return 'off';
}
