// A volume the bash entrypoint booted (aio-plan.md Task 3), adopted in place: what the journal
// and `inspect` say about it. The adoption itself is spread over the existing steps, each doing
// only what it already does, on the seed's paths (src/boot/paths.ts): writeAppIni merges into the
// seed's app.ini, createUsers reuses its accounts, createTokens its token, registerWebhook replaces
// its default webhook by the one system webhook.
import { join, relative } from 'node:path';
import { SEED_FILES, seedTraces, type bootPaths } from './paths.ts';

export interface AdoptionNote {
  /** For the detectModes step's outcome (journal, inspect): short, no secrets. */
  outcome: string;
  /** For the log. */
  message: string;
}

/** Why: undefined for gigi-boot's own layout; else what was found, stated once per boot. */
export function describeAdoption(
  dataDir: string,
  paths: ReturnType<typeof bootPaths>,
): AdoptionNote | undefined {
  if (paths.layout !== 'bash-entrypoint') return undefined;
  const traces = seedTraces(dataDir);
  const init = traces.marker ? 'init done' : `init unfinished (no ${SEED_FILES.marker})`;
  return {
    outcome: `volume:bash-entrypoint(${traces.marker ? 'marker' : 'no-marker'})`,
    message:
      `adopting a volume the bash entrypoint booted (${init}): Gitea keeps its files where they are — app.ini ${relative(dataDir, paths.appIni)}, ` +
      `sqlite ${relative(dataDir, paths.giteaDatabase)}${traces.database ? '' : ' (not there yet)'}, repositories under ${relative(dataDir, join(paths.giteaWorkDir, 'data'))}; nothing is moved`,
  };
}
