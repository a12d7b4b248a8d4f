// A minimal INI reader for the rendered supervisord.conf: [section] and key=value lines,
// `;` comments. Enough to assert what the renderer wrote; supervisord itself is the real parser.
export type Ini = Record<string, Record<string, string> | undefined>;

export function parseIni(text: string): Ini {
  const out: Ini = {};
  let section: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = out[header[1]!] = {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0 || !section) throw new Error(`not an ini line: ${JSON.stringify(raw)}`);
    section[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return out;
}
