// The configuration table of docs/configuration.md, generated from the env schema so the documentation
// cannot drift from what loadConfig accepts.
import { markdownTable } from '../docs/blocks.ts';
import { ENV_VAR_NAMES, envVarDefault, envVarMeta } from './schema.ts';

// Why: operators read the settings in docs/configuration.md; this renders them straight from the schema.
export function renderEnvReference(): string {
  const rows = ENV_VAR_NAMES.map((name) => {
    const meta = envVarMeta(name);
    const fallback = envVarDefault(name);
    return [
      `\`${name}\``,
      fallback === undefined ? '—' : `\`${fallback}\``,
      meta.secret ? `yes (or \`${name}_FILE\`)` : 'no',
      meta.description ?? '',
    ].map((text) => text.replace(/\n/g, ' '));
  });
  // Padded as prettier pads tables, so the doc passes `prettier --check` as written.
  return markdownTable(['Variable', 'Default', 'Secret', 'Description'], rows);
}
