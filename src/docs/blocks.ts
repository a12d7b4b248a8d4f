// Generated blocks in the Markdown docs: the text between a `<!-- NAME:start -->` line and a
// `<!-- NAME:end -->` line is written by a script from the code (the env table, the step list),
// and a test compares it with a fresh render, so the docs cannot drift from what the code does.

function markerLines(lines: readonly string[], name: string): { start: number; end: number } {
  const start = lines.indexOf(`<!-- ${name}:start -->`);
  const end = lines.indexOf(`<!-- ${name}:end -->`);
  if (start < 0 || end <= start)
    throw new Error(`no <!-- ${name}:start --> line followed by a <!-- ${name}:end --> line`);
  return { start, end };
}

/** Why: the test reads what the doc holds between the markers, trimmed of the blank lines around it. */
export function readBlock(text: string, name: string): string {
  const lines = text.split('\n');
  const { start, end } = markerLines(lines, name);
  return lines
    .slice(start + 1, end)
    .join('\n')
    .trim();
}

/** Why: the regenerating script puts a fresh render between the markers, blank lines around it (as prettier keeps them). */
export function replaceBlock(text: string, name: string, body: string): string {
  const lines = text.split('\n');
  const { start, end } = markerLines(lines, name);
  return [...lines.slice(0, start + 1), '', body.trim(), '', ...lines.slice(end)].join('\n');
}

/** Why: generated tables must pass `prettier --check` as written, so columns are padded the way prettier pads them. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escaped = rows.map((row) => row.map((cell) => cell.replace(/\|/g, '\\|')));
  const widths = header.map((h, c) => Math.max(h.length, 3, ...escaped.map((row) => row[c]!.length)));
  const format = (cells: readonly string[]) => `| ${cells.map((v, c) => v.padEnd(widths[c]!)).join(' | ')} |`;
  return [format(header), format(widths.map((w) => '-'.repeat(w))), ...escaped.map(format)].join('\n');
}
