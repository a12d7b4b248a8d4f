// Every boot step's module, by the machine's step name: the table the composition root builds
// the implementations from and failpoints take each step's failure domain from. The compiler
// checks it has exactly the machine's steps (BOOT_STEPS), each with deps a StepContext provides.
// Adding a step: CONTRIBUTING.md.
import type { BootStep } from '../../../machines/boot.ts';
import { addOwner } from './add-owner.ts';
import { awaitApi } from './await-api.ts';
import { buildRunnerWorker } from './build-runner-worker.ts';
import { checkExternalGitea } from './check-external-gitea.ts';
import type { StepContext } from './context.ts';
import { createOrg } from './create-org.ts';
import { createTokens } from './create-tokens.ts';
import { createUsers } from './create-users.ts';
import { detectModes } from './detect-modes.ts';
import { handOff } from './hand-off.ts';
import { persistConfig } from './persist-config.ts';
import { prepareSecrets } from './prepare-secrets.ts';
import type { BootStepModule } from './step.ts';
import { registerWebhook } from './register-webhook.ts';
import { startGitea } from './start-gitea.ts';
import { stopGitea } from './stop-gitea.ts';
import { writeAppIni } from './write-app-ini.ts';

export const STEP_MODULES = {
  detectModes,
  prepareSecrets,
  writeAppIni,
  startGitea,
  awaitApi,
  checkExternalGitea,
  createUsers,
  createTokens,
  createOrg,
  addOwner,
  registerWebhook,
  persistConfig,
  stopGitea,
  handOff,
  buildRunnerWorker,
} satisfies Record<BootStep, BootStepModule<StepContext>>;
