// A line-preserving INI model for Gitea's app.ini: the operator's comments, key order and
// layout survive a rewrite, and only the keys we set change (Gitea itself rewrites the file
// the same way, see CONTRACT §G.1). Parsing follows go-ini as Gitea configures it: `#`/`;`
// comments, `=` delimiter, no inline comments, values optionally wrapped in "..." or `...`.

export type IniLine =
  | { kind: 'blank'; raw: string }
  | { kind: 'comment'; raw: string }
  | { kind: 'key'; raw: string; key: string; value: string };

export interface IniSection {
  /** '' is the root section: keys before the first [header] (WORK_PATH, RUN_USER, ...). */
  name: string;
  /** The header line as written, undefined for the root section. */
  header: string | undefined;
  lines: IniLine[];
}

export interface IniDocument {
  sections: IniSection[];
}

const SECTION = /^\s*\[([^\]]*)\]\s*$/;

function unquote(value: string): string {
  if (value.length >= 2) {
    const first = value[0];
    if ((first === '"' || first === '`') && value.endsWith(first)) return value.slice(1, -1);
  }
  return value;
}

function parseLine(raw: string): IniLine {
  const trimmed = raw.trim();
  if (trimmed === '') return { kind: 'blank', raw };
  if (trimmed.startsWith('#') || trimmed.startsWith(';')) return { kind: 'comment', raw };
  const eq = raw.indexOf('=');
  // go-ini accepts a bare key (boolean true); keep it as a key with an empty value.
  if (eq === -1) return { kind: 'key', raw, key: trimmed, value: '' };
  return { kind: 'key', raw, key: raw.slice(0, eq).trim(), value: unquote(raw.slice(eq + 1).trim()) };
}

/** Why: read app.ini without losing anything we do not own. */
export function parseIni(text: string): IniDocument {
  const root: IniSection = { name: '', header: undefined, lines: [] };
  const sections: IniSection[] = [root];
  let current = root;
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // trailing newline
  for (const raw of lines) {
    const match = SECTION.exec(raw);
    if (match) {
      current = { name: match[1]!.trim(), header: raw, lines: [] };
      sections.push(current);
    } else {
      current.lines.push(parseLine(raw));
    }
  }
  return { sections };
}

/** Why: write app.ini back byte-for-byte except for the lines we changed. */
export function serialiseIni(doc: IniDocument): string {
  const out: string[] = [];
  for (const section of doc.sections) {
    if (section.header !== undefined) out.push(section.header);
    for (const line of section.lines) out.push(line.raw);
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** The effective value of section/key (the last occurrence wins, as in go-ini), if present. */
export function getIniValue(doc: IniDocument, section: string, key: string): string | undefined {
  let found: string | undefined;
  for (const s of doc.sections) {
    if (s.name !== section) continue;
    for (const line of s.lines) if (line.kind === 'key' && line.key === key) found = line.value;
  }
  return found;
}

function formatValue(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError(`app.ini value for ${key} must be a single line`);
  // Leading/trailing spaces or a quote at the ends would be eaten by go-ini: wrap in backticks.
  const needsQuotes = value !== value.trim() || /^["`]/.test(value) || /["`]$/.test(value);
  if (needsQuotes) {
    if (value.includes('`')) throw new RangeError(`app.ini value for ${key} cannot be quoted safely`);
    return `\`${value}\``;
  }
  return value;
}

/**
 * Why: set one key the way Gitea writes it (`KEY = value`), in place when it exists (every
 * occurrence, so no shadowed duplicate keeps an old value), else appended to the section
 * (created at the end of the file when missing). Returns whether the effective value changed.
 */
export function setIniValue(doc: IniDocument, section: string, key: string, value: string): boolean {
  const before = getIniValue(doc, section, key);
  const raw = `${key} = ${formatValue(key, value)}`;
  let replaced = false;
  for (const s of doc.sections) {
    if (s.name !== section) continue;
    s.lines = s.lines.map((line) => {
      if (line.kind !== 'key' || line.key !== key) return line;
      replaced = true;
      return line.value === value ? line : { kind: 'key', raw, key, value };
    });
  }
  if (!replaced) {
    let target = doc.sections.find((s) => s.name === section);
    if (!target) {
      const last = doc.sections[doc.sections.length - 1];
      const lastLine = last?.lines[last.lines.length - 1];
      const needsGap = last !== undefined && (last.header !== undefined || last.lines.length > 0);
      if (needsGap && lastLine?.kind !== 'blank') last.lines.push({ kind: 'blank', raw: '' });
      target = { name: section, header: `[${section}]`, lines: [] };
      doc.sections.push(target);
    }
    // Insert after the section's last key, so trailing blank lines/comments stay as separators.
    let at = target.lines.length;
    while (at > 0 && target.lines[at - 1]!.kind !== 'key') at -= 1;
    if (at === 0 && target.lines.every((l) => l.kind !== 'key')) at = target.lines.length;
    if (section === '' && at === target.lines.length && target.lines.length > 0) {
      // Root keys go before a trailing blank that separates them from the first [section].
      while (at > 0 && target.lines[at - 1]!.kind === 'blank') at -= 1;
    }
    target.lines.splice(at, 0, { kind: 'key', raw, key, value });
  }
  return before !== value;
}
