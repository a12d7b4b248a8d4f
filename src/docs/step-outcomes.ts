// The outcome each boot step reports when it succeeds: the word in its `step.done` log line, in the
// journal row's `detail.outcome` and in machines/README.md and docs/architecture.md (rendered from
// here). The machine types an outcome only as a string, so this list is checked against the code
// twice: at compile time against the action types of the functions the steps return
// (test/docs/step-outcomes.test.ts) and at run time against the journals of real boots.
import type { BootStep } from '../../machines/boot.ts';

/** Words a step passes through from what it called (each compared with that function's type). */
export const OUTCOME_WORDS = {
  secret: ['created', 'existed'],
  appIni: ['created', 'updated', 'unchanged'],
  account: ['created', 'existed', 'recovered', 'adopted'],
  token: ['existed', 'created', 'replaced'],
  org: ['created', 'existed'],
  owner: ['added', 'existed'],
  webhook: ['existed', 'created', 'replaced'],
  runner: ['built', 'up-to-date', 'skipped'],
  stop: ['stopped', 'killed', 'not-running'],
} as const;

const either = (words: readonly string[]) => `<${words.join('|')}>`;

/**
 * Every form a step's outcome takes. `<a|b>` is one of the words, `<N>` a number, `<version>`
 * Gitea's version, `[…]` a part that may be absent.
 */
export const STEP_OUTCOMES: Record<BootStep, readonly string[]> = {
  detectModes: [
    'gitea:<internal|external> chrome:<internal|external> docker:<yes|no>[ scope:runner][ volume:bash-entrypoint(<marker|no-marker>)]',
  ],
  prepareSecrets: OUTCOME_WORDS.secret,
  writeAppIni: OUTCOME_WORDS.appIni,
  startGitea: ['started pid <N>'],
  awaitApi: ['ready (Gitea <version>)'],
  checkExternalGitea: ['reachable (Gitea <version>)'],
  createUsers: [`admin ${either(OUTCOME_WORDS.account)}, gigi ${either(OUTCOME_WORDS.account)}`],
  createTokens: OUTCOME_WORDS.token,
  createOrg: OUTCOME_WORDS.org,
  addOwner: OUTCOME_WORDS.owner,
  registerWebhook: OUTCOME_WORDS.webhook,
  persistConfig: ['wrote <N> keys'],
  buildRunnerWorker: OUTCOME_WORDS.runner,
  stopGitea: OUTCOME_WORDS.stop,
  handOff: ['rendered'],
};

/** Why: the run-time check matches a journal's outcome against the documented forms. */
export function outcomePattern(form: string): RegExp {
  let source = '';
  for (const token of form.split(/(<[^>]+>|\[|\])/).filter(Boolean)) {
    if (token === '[') source += '(?:';
    else if (token === ']') source += ')?';
    else if (token === '<N>') source += '\\d+';
    else if (token === '<version>') source += '[^\\s()]+';
    else if (token.startsWith('<'))
      source += `(?:${token
        .slice(1, -1)
        .split('|')
        .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|')})`;
    else source += token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
