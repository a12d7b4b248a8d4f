// app.ini as Gitea 1.24 reads and writes it: gopkg.in/ini.v1 v1.67 with Gitea's options
// (KeyValueDelimiterOnWrite " = ", IgnoreContinuation; everything else go-ini's default),
// CONTRACT §M.2. Written from go-ini's parser.go (readKeyName, readValue, readMultilines) and
// file.go (writeToBuffer), independently of gigi-boot's src/gitea/ini.ts, so the simulator
// reads back what gigi-boot writes the way Gitea would and catches a writer that is wrong.

export interface IniLine {
  kind: 'comment' | 'blank' | 'key';
  raw: string;
  key?: string;
  value?: string;
}

export interface IniSection {
  name: string; // '' is the root section (go-ini's DEFAULT: before any [section], or [DEFAULT])
  lines: IniLine[];
}

export interface IniFile {
  sections: IniSection[];
}

/** go-ini's default KeyValueDelimiters (Gitea does not change them). */
const DELIMITERS = '=:';

function indexAny(s: string, chars: string): number {
  for (let i = 0; i < s.length; i += 1) if (chars.includes(s[i]!)) return i;
  return -1;
}

/** unicode.IsSpace for the characters an app.ini can hold. */
const trimLeft = (s: string) => s.replace(/^[\t\n\v\f\r \u0085\u00a0]+/, '');
const trimSpace = (s: string) => trimLeft(s).replace(/[\t\n\v\f\r \u0085\u00a0]+$/, '');

function hasSurroundedQuote(s: string, q: string): boolean {
  return s.length >= 2 && s[0] === q && s[s.length - 1] === q && s.indexOf(q, 1) === s.length - 1;
}

/** readKeyName: [name, offset of the value] or an error for a line Gitea refuses to load. */
function readKeyName(line: string): [string, number] {
  let quote = '';
  if (line[0] === '"') quote = line.length > 6 && line.startsWith('"""') ? '"""' : '"';
  else if (line[0] === '`') quote = '`';
  if (quote !== '') {
    const start = quote.length;
    const pos = line.indexOf(quote, start);
    if (pos === -1) throw new Error(`missing closing key quote: ${line}`);
    const i = indexAny(line.slice(pos + start), DELIMITERS);
    if (i < 0) throw new Error(`key-value delimiter not found: ${line}`);
    return [trimSpace(line.slice(start, pos)), pos + i + start + 1];
  }
  const end = indexAny(line, DELIMITERS);
  if (end < 0) throw new Error(`key-value delimiter not found: ${line}`);
  return [trimSpace(line.slice(0, end)), end + 1];
}

/** readValue (+ readMultilines): `rest` holds the following lines (each with its '\n'). */
function readValue(input: string, rest: string[]): { value: string; used: number } {
  let line = trimLeft(input);
  if (line === '') return { value: '', used: 0 };
  let quote = '';
  if (line.length > 3 && line.startsWith('"""')) quote = '"""';
  else if (line[0] === '`') quote = '`';
  if (quote !== '') {
    const start = quote.length;
    const pos = line.slice(start).lastIndexOf(quote);
    if (pos !== -1) return { value: line.slice(start, start + pos), used: 0 };
    let value = line.slice(start);
    for (let i = 0; i < rest.length; i += 1) {
      const next = rest[i]!;
      const end = next.lastIndexOf(quote);
      if (end > -1) return { value: value + next.slice(0, end), used: i + 1 };
      value += next;
    }
    throw new Error(`missing closing key quote from '${line}'`);
  }
  line = trimSpace(line);
  // IgnoreContinuation: a trailing backslash is part of the value.
  const comment = indexAny(line, '#;');
  if (comment > -1) line = trimSpace(line.slice(0, comment));
  if (hasSurroundedQuote(line, "'") || hasSurroundedQuote(line, '"')) line = line.slice(1, -1);
  return { value: line, used: 0 };
}

/** Parse app.ini text as go-ini does; throws where Gitea would refuse to load the file. */
export function parseIni(text: string): IniFile {
  const root: IniSection = { name: '', lines: [] };
  const sections: IniSection[] = [root];
  let current = root;
  const body = text.replace(/^\uFEFF/, '');
  // readUntil('\n'): every line keeps its '\n' (the last one may have none).
  const lines = body.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  for (let i = 0; i < lines.length; i += 1) {
    const raw = lines[i]!;
    const line = trimLeft(raw);
    const shown = raw.replace(/\r?\n$/, '');
    if (line === '') current.lines.push({ kind: 'blank', raw: shown });
    else if (line[0] === '#' || line[0] === ';') current.lines.push({ kind: 'comment', raw: shown });
    else if (line[0] === '[') {
      const close = line.lastIndexOf(']');
      if (close === -1) throw new Error(`unclosed section: ${line}`);
      let name = line.slice(1, close);
      if (name === '') throw new Error('empty section name');
      if (name === 'DEFAULT') name = '';
      const existing = sections.find((s) => s.name === name);
      current = existing ?? { name, lines: [] };
      if (!existing) sections.push(current);
    } else {
      const [key, offset] = readKeyName(line);
      const { value, used } = readValue(line.slice(offset), lines.slice(i + 1));
      i += used;
      const prior = current.lines.find((l) => l.kind === 'key' && l.key === key);
      if (prior) prior.value = value;
      else current.lines.push({ kind: 'key', raw: shown, key, value });
    }
  }
  // trailing blank produced by a final newline is not a line of its own
  const last = sections[sections.length - 1]!;
  while (last.lines.length > 0 && last.lines[last.lines.length - 1]!.kind === 'blank') last.lines.pop();
  return { sections };
}

/** Value of [section] KEY (section names are case-sensitive in go-ini), or undefined when absent. */
export function iniGet(file: IniFile, section: string, key: string): string | undefined {
  const raw = rawGet(file, section, key);
  return raw === undefined ? undefined : expandValue(file, section, key, raw);
}

function rawGet(file: IniFile, section: string, key: string): string | undefined {
  const sec = file.sections.find((s) => s.name === section);
  return sec?.lines.find((l) => l.kind === 'key' && l.key === key)?.value;
}

/**
 * go-ini's Key.transformValue, which every value Gitea reads goes through: `%(NAME)s` is replaced
 * by NAME's raw value in the same section (not the key itself), else in the default section; the
 * first name found in neither stops the expansion and the rest is returned as written (up to 99
 * rounds, each replacing every occurrence of one reference).
 */
function expandValue(file: IniFile, section: string, key: string, value: string): string {
  let val = value;
  for (let i = 0; i < 99 && val.includes('%'); i++) {
    const m = /%\(([^)]+)\)s/.exec(val);
    if (!m) break;
    const name = m[1]!;
    let found = name === key ? undefined : rawGet(file, section, name);
    if (found === undefined) found = rawGet(file, '', name);
    if (found === undefined) break;
    val = val.split(m[0]).join(found);
  }
  return val;
}

/** Set [section] KEY, creating the section at the end if needed. */
export function iniSet(file: IniFile, section: string, key: string, value: string): void {
  let sec = file.sections.find((s) => s.name === section);
  if (!sec) {
    sec = { name: section, lines: [] };
    file.sections.push(sec);
  }
  const line = sec.lines.find((l) => l.kind === 'key' && l.key === key);
  if (line) line.value = value;
  else {
    let at = sec.lines.length;
    while (at > 0 && sec.lines[at - 1]!.kind === 'blank') at--;
    sec.lines.splice(at, 0, { kind: 'key', raw: '', key, value });
  }
}

/** go-ini writeToBuffer's value quoting (not round-trip safe for `"x"`-shaped values, like go-ini). */
function formatValue(value: string): string {
  if (/[\n`]/.test(value)) return `"""${value}"""`;
  if (/[#;]/.test(value)) return `\`${value}\``;
  if (trimSpace(value).length !== value.length) return `"${value}"`;
  return value;
}

function formatKey(key: string): string {
  if (key.includes('"') || indexAny(key, DELIMITERS) > -1) return `\`${key}\``;
  if (key.includes('`')) return `"""${key}"""`;
  return key;
}

/** Serialise like go-ini's SaveToIndent: normalised `KEY = value`, comments kept. */
export function serializeIni(file: IniFile): string {
  const out: string[] = [];
  for (const sec of file.sections) {
    if (sec.name !== '') {
      if (out.length > 0 && out[out.length - 1] !== '') out.push('');
      out.push(`[${sec.name}]`);
    }
    for (const line of sec.lines) {
      if (line.kind === 'key') out.push(`${formatKey(line.key!)} = ${formatValue(line.value ?? '')}`);
      else if (line.kind === 'comment') out.push(line.raw.trim());
      else out.push('');
    }
  }
  return out.join('\n') + '\n';
}
