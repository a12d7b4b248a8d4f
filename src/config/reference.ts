// The README's configuration table, generated from the env schema so the documentation
// cannot drift from what loadConfig accepts.
import { ENV_VAR_NAMES, envVarDefault, envVarMeta } from './schema.ts';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

// Columns padded to equal width, the way prettier formats Markdown tables, so the README
// passes `prettier --check` with the table pasted verbatim.
function alignedTable(header: readonly string[], rows: readonly string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, 3, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

// Why: operators read the settings in the README; this renders them straight from the schema.
export function renderEnvReference(): string {
  const rows = ENV_VAR_NAMES.map((name) => {
    const meta = envVarMeta(name);
    const fallback = envVarDefault(name);
    return [
      `\`${name}\``,
      fallback === undefined ? '—' : `\`${fallback}\``,
      meta.secret ? `yes (or \`${name}_FILE\`)` : 'no',
      meta.description ?? '',
    ].map(cell);
  });
  return alignedTable(['Variable', 'Default', 'Secret', 'Description'], rows);
}
