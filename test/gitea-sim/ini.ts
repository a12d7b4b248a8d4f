// A small app.ini reader/writer that behaves like go-ini as Gitea uses it: comments and key
// order survive a rewrite, keys are written back as `KEY = value`.

export interface IniLine {
  kind: 'comment' | 'blank' | 'key';
  raw: string;
  key?: string;
  value?: string;
}

export interface IniSection {
  name: string; // '' is the root section (before any [section])
  lines: IniLine[];
}

export interface IniFile {
  sections: IniSection[];
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith('`') && v.endsWith('`')))) {
    return v.slice(1, -1);
  }
  return v;
}

/** Parse app.ini text; why: the simulator must read exactly the keys Gitea reads. */
export function parseIni(text: string): IniFile {
  const root: IniSection = { name: '', lines: [] };
  const sections: IniSection[] = [root];
  let current = root;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') current.lines.push({ kind: 'blank', raw });
    else if (line.startsWith('#') || line.startsWith(';')) current.lines.push({ kind: 'comment', raw });
    else if (line.startsWith('[') && line.endsWith(']')) {
      const name = line.slice(1, -1).trim();
      const existing = sections.find((s) => s.name === name);
      current = existing ?? { name, lines: [] };
      if (!existing) sections.push(current);
    } else {
      const eq = line.search(/[=:]/);
      const key = (eq === -1 ? line : line.slice(0, eq)).trim();
      const value = eq === -1 ? '' : unquote(line.slice(eq + 1));
      const prior = current.lines.find((l) => l.kind === 'key' && l.key === key);
      if (prior) prior.value = value;
      else current.lines.push({ kind: 'key', raw, key, value });
    }
  }
  // trailing blank produced by a final newline is not a line of its own
  const last = sections[sections.length - 1]!;
  while (last.lines.length > 0 && last.lines[last.lines.length - 1]!.kind === 'blank') last.lines.pop();
  return { sections };
}

/** Value of [section] KEY, or undefined when absent. */
export function iniGet(file: IniFile, section: string, key: string): string | undefined {
  const sec = file.sections.find((s) => s.name.toLowerCase() === section.toLowerCase());
  return sec?.lines.find((l) => l.kind === 'key' && l.key === key)?.value;
}

/** Set [section] KEY, creating the section at the end if needed. */
export function iniSet(file: IniFile, section: string, key: string, value: string): void {
  let sec = file.sections.find((s) => s.name.toLowerCase() === section.toLowerCase());
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

function formatValue(value: string): string {
  if (/[#;]/.test(value) || value !== value.trim())
    return value.includes('`') ? `"""${value}"""` : `\`${value}\``;
  return value;
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
      if (line.kind === 'key') out.push(`${line.key} = ${formatValue(line.value ?? '')}`);
      else if (line.kind === 'comment') out.push(line.raw.trim());
      else out.push('');
    }
  }
  return out.join('\n') + '\n';
}
