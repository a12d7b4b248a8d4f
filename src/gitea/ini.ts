// A line-preserving INI model for Gitea's app.ini: the operator's comments, key order and
// layout survive a rewrite, and only the keys we set change (Gitea itself rewrites the file
// the same way, see CONTRACT §G.1). Values are read as Gitea reads them (go-ini v1.67 with
// Gitea's options, CONTRACT §M.2): `=` or `:` ends the key; an unquoted value ends at the first
// `#` or `;` and is trimmed, then loses one pair of surrounding `"` or `'`; a value opened by a
// backtick or `"""` runs to the last such quote (over several lines when the line has none);
// no line continuation. Values are written so that this reading gives them back exactly.

export type IniLine =
  | { kind: 'blank'; raw: string }
  | { kind: 'comment'; raw: string }
  /** raw may span several lines (a multi-line backtick or `"""` value). */
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

/** go-ini's name for the root section: a `[DEFAULT]` header continues it. */
const DEFAULT_SECTION = 'DEFAULT';
const DELIMITERS = /[=:]/;

/** go-ini's hasSurroundedQuote: `q…q` with no other q inside. */
function hasSurroundedQuote(value: string, quote: string): boolean {
  return (
    value.length >= 2 &&
    value[0] === quote &&
    value.endsWith(quote) &&
    value.indexOf(quote, 1) === value.length - 1
  );
}

/** go-ini readKeyName: the key and where its value starts, or undefined without a delimiter. */
function readKey(line: string): { key: string; offset: number } | undefined {
  let quote = '';
  if (line.startsWith('"')) quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line.startsWith('`')) quote = '`';
  if (quote !== '') {
    const close = line.indexOf(quote, quote.length);
    if (close === -1) return undefined;
    const rest = line.slice(close + quote.length);
    const at = rest.search(DELIMITERS);
    if (at === -1) return undefined;
    return { key: line.slice(quote.length, close).trim(), offset: close + quote.length + at + 1 };
  }
  const at = line.search(DELIMITERS);
  if (at === -1) return undefined;
  return { key: line.slice(0, at).trim(), offset: at + 1 };
}

/**
 * go-ini readValue for the text after the delimiter. `more` yields the following lines for a
 * quote opened and not closed on this one; returns the value and how many of them it used.
 */
function readValue(text: string, more: readonly string[]): { value: string; used: number } {
  const line = text.trimStart();
  if (line === '') return { value: '', used: 0 };
  let quote = '';
  if (line.length > 3 && line.startsWith('"""')) quote = '"""';
  else if (line.startsWith('`')) quote = '`';
  if (quote !== '') {
    const rest = line.slice(quote.length);
    const close = rest.lastIndexOf(quote);
    if (close !== -1) return { value: rest.slice(0, close), used: 0 };
    // Multi-line: the line breaks are part of the value, up to the last quote of a later line.
    let value = `${rest}\n`;
    for (let i = 0; i < more.length; i += 1) {
      const next = more[i]!;
      const end = next.lastIndexOf(quote);
      if (end !== -1) return { value: value + next.slice(0, end), used: i + 1 };
      value += `${next}\n`;
    }
    return { value: value.slice(0, -1), used: more.length }; // unclosed: Gitea refuses the file
  }
  let value = line.trim();
  const comment = value.search(/[#;]/);
  if (comment !== -1) value = value.slice(0, comment).trim();
  if (hasSurroundedQuote(value, '"') || hasSurroundedQuote(value, "'")) value = value.slice(1, -1);
  return { value, used: 0 };
}

/** Why: read app.ini without losing anything we do not own, and see its values as Gitea does. */
export function parseIni(text: string): IniDocument {
  const root: IniSection = { name: '', header: undefined, lines: [] };
  const sections: IniSection[] = [root];
  let current = root;
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop(); // trailing newline
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i]!;
    const line = raw.trimStart();
    if (line === '') {
      current.lines.push({ kind: 'blank', raw });
    } else if (line.startsWith('#') || line.startsWith(';')) {
      current.lines.push({ kind: 'comment', raw });
    } else if (line.startsWith('[') && line.lastIndexOf(']') > 0) {
      // go-ini takes the name up to the LAST `]`, untrimmed; the rest is a comment.
      const name = line.slice(1, line.lastIndexOf(']'));
      current = { name: name === DEFAULT_SECTION ? '' : name, header: raw, lines: [] };
      sections.push(current);
    } else {
      const key = readKey(line);
      // A line without a delimiter is an error for Gitea; keep it as written (value empty).
      if (!key) {
        current.lines.push({ kind: 'key', raw, key: line.trim(), value: '' });
        continue;
      }
      const { value, used } = readValue(line.slice(key.offset), lines.slice(i + 1));
      const rawLines = lines.slice(i, i + 1 + used).join('\n');
      current.lines.push({ kind: 'key', raw: rawLines, key: key.key, value });
      i += used;
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

/** Why a key cannot be written as a plain go-ini key name, or undefined when it can. */
export function iniKeyProblem(key: string): string | undefined {
  if (key === '') return 'the key is empty';

  if (!/^[\x21-\x7e]+$/.test(key)) return 'the key must be printable ASCII without spaces';
  if (DELIMITERS.test(key)) return 'the key must not contain "=" or ":" (they end a key in app.ini)';
  if (/^[#;[\]"`]/.test(key)) return 'the key must not start with # ; [ ] " or a backtick';
  if (key === '-') return 'the key "-" is an auto-numbered key in app.ini';
  return undefined;
}

/**
 * Why: the text to write after `KEY = ` so that go-ini reads back exactly `value`: plain when
 * go-ini keeps it as is, else between backticks, or between `"""` when it holds a backtick
 * (both read up to their LAST closing quote, so inner quotes are safe). One line only.
 */
export function formatIniValue(key: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError(`app.ini value for ${key} must be a single line`);
  const { value: readBack } = readValue(value, []);
  if (readBack === value) return value;
  return value.includes('`') ? `"""${value}"""` : `\`${value}\``;
}

/**
 * Why: set one key the way Gitea writes it (`KEY = value`), in place when it exists (every
 * occurrence, so no shadowed duplicate keeps an old value), else appended to the section
 * (created at the end of the file when missing). Returns whether the effective value changed.
 */
export function setIniValue(doc: IniDocument, section: string, key: string, value: string): boolean {
  const before = getIniValue(doc, section, key);
  const problem = iniKeyProblem(key);
  if (problem) throw new RangeError(`app.ini key ${JSON.stringify(key)}: ${problem}`);
  const raw = `${key} = ${formatIniValue(key, value)}`;
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
