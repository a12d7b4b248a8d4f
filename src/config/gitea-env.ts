// Gitea's own environment convention, as the official images apply it on every start
// (`environment-to-ini`, modules/setting/config_env.go; CONTRACT §M.1): `GITEA__section__KEY`
// sets `[section] KEY` in app.ini, `GITEA__section__KEY__FILE` sets it to a file's content.
// The name decoding is Gitea's, step for step, so a variable means here what it means to Gitea.
// gigi-boot is stricter in one way: what Gitea would skip silently (a name with no key, an
// unreadable file) or could not write back faithfully is a configuration error naming the
// variable, and a key gigi-boot owns cannot be set this way (the message names the setting).

import { iniKeyProblem } from '../gitea/ini.ts';
import { decodeSecret, SecretFileProblem } from './read-secret-file.ts';

export const GITEA_ENV_PREFIX = 'GITEA__';
export const GITEA_ENV_FILE_SUFFIX = '__FILE';

/** One app.ini setting from the environment. */
export interface GiteaIniSetting {
  /** The variable it came from, e.g. GITEA__server__ROOT_URL (named in errors and logs). */
  variable: string;
  /** '' is the root section. */
  section: string;
  key: string;
  value: string;
  /** Read from a file, or a key that holds a secret: never logged, only hashed. */
  secret: boolean;
}

const ESCAPE = /_0[xX]((?:[0-9a-fA-F][0-9a-fA-F])+)_/g;

/**
 * Gitea's decodeEnvSectionKey: `_0X<hex>_` escapes are decoded to their bytes wherever they
 * are; section and key are split at the first plain `__` outside an escape; the section is
 * lower-cased, the key kept as written. `ok` is false when no key remains. Invalid UTF-8
 * from an escape is reported (Go would keep the raw bytes).
 */
export function decodeGiteaEnvSectionKey(encoded: string): {
  ok: boolean;
  section: string;
  key: string;
  invalidUtf8: boolean;
} {
  const section: number[] = [];
  const key: number[] = [];
  let inKey = false;
  let last = 0;
  const bytes = (text: string) => [...Buffer.from(text, 'utf8')];
  const plain = (text: string) => {
    if (inKey) {
      key.push(...bytes(text));
      return;
    }
    const split = text.indexOf('__');
    if (split === -1) {
      section.push(...bytes(text));
      return;
    }
    section.push(...bytes(text.slice(0, split)));
    inKey = true;
    key.push(...bytes(text.slice(split + 2)));
  };
  for (const match of encoded.matchAll(ESCAPE)) {
    plain(encoded.slice(last, match.index));
    const decoded = [...Buffer.from(match[1]!, 'hex')];
    (inKey ? key : section).push(...decoded);
    last = match.index + match[0].length;
  }
  plain(encoded.slice(last));
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let sectionText: string;
  let keyText: string;
  try {
    sectionText = decoder.decode(Uint8Array.from(section));
    keyText = decoder.decode(Uint8Array.from(key));
  } catch {
    return { ok: false, section: '', key: '', invalidUtf8: true };
  }
  if (keyText === '') return { ok: false, section: '', key: '', invalidUtf8: false };
  return { ok: true, section: sectionText.toLowerCase(), key: keyText, invalidUtf8: false };
}

/** Gitea's decodeEnvironmentKey: undefined for a name without the GITEA__ prefix. */
export function decodeGiteaEnvName(
  name: string,
): { ok: boolean; section: string; key: string; fromFile: boolean; invalidUtf8: boolean } | undefined {
  if (!name.startsWith(GITEA_ENV_PREFIX)) return undefined;
  const fromFile = name.endsWith(GITEA_ENV_FILE_SUFFIX);
  const base = fromFile ? name.slice(0, -GITEA_ENV_FILE_SUFFIX.length) : name;
  return { ...decodeGiteaEnvSectionKey(base.slice(GITEA_ENV_PREFIX.length)), fromFile };
}

/** One line end removed, as Gitea does for a __FILE value (`\r\n` or `\n`, once). */
export function stripOneLineEnd(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/**
 * app.ini keys gigi-boot sets itself on every boot, with the setting that decides each: a
 * GITEA__ variable for one of them would be overwritten, so it is refused up front.
 */
export const GIGI_BOOT_OWNED_INI_KEYS: ReadonlyArray<{ section: string; key: string; setBy: string }> = [
  { section: '', key: 'RUN_USER', setBy: 'GIGI_BOOT_GITEA_USER (the OS user Gitea runs as)' },
  { section: '', key: 'WORK_PATH', setBy: 'GIGI_DATA_DIR (<GIGI_DATA_DIR>/gitea)' },
  { section: 'security', key: 'INSTALL_LOCK', setBy: 'gigi-boot (always true: it installs Gitea itself)' },
  { section: 'database', key: 'DB_TYPE', setBy: 'gigi-boot (the internal Gitea uses sqlite3)' },
  { section: 'database', key: 'PATH', setBy: 'GIGI_DATA_DIR (<GIGI_DATA_DIR>/gitea/data/gitea.db)' },
  { section: 'server', key: 'HTTP_ADDR', setBy: 'GITEA_HTTP_ADDR' },
  { section: 'server', key: 'HTTP_PORT', setBy: 'GITEA_HTTP_PORT' },
  { section: 'server', key: 'APP_DATA_PATH', setBy: 'GIGI_DATA_DIR (<GIGI_DATA_DIR>/gitea/data)' },
  {
    section: 'server',
    key: 'LFS_START_SERVER',
    setBy: 'gigi-boot (always false: Gitea would otherwise write LFS_JWT_SECRET into app.ini at start)',
  },
];

const SECRET_KEY_NAME = /SECRET|TOKEN|PASSW|PRIVATE|(^|_)KEY$/i;

function show(section: string, key: string): string {
  return section === '' ? `${key} (root section)` : `[${section}] ${key}`;
}

/**
 * Why: read every GITEA__ variable once, at load time, into the app.ini settings each boot
 * applies; every problem goes to `issues` naming the variable (and never a value).
 */
export async function collectGiteaEnv(
  env: Record<string, string | undefined>,
  readFile: (path: string) => Promise<Buffer | string>,
  issues: string[],
): Promise<GiteaIniSetting[]> {
  const settings: GiteaIniSetting[] = [];
  const names = Object.keys(env)
    .filter((n) => n.startsWith(GITEA_ENV_PREFIX) && env[n] !== undefined)
    .sort();
  for (const variable of names) {
    const decoded = decodeGiteaEnvName(variable)!;
    const raw = env[variable]!;
    if (decoded.invalidUtf8) {
      issues.push(`${variable}: its _0X.._ escapes decode to bytes that are not UTF-8 text`);
      continue;
    }
    if (!decoded.ok) {
      issues.push(
        `${variable}: names no app.ini key (Gitea would ignore it): expected GITEA__section__KEY, GITEA____KEY for the root section, or either with __FILE; write "." as _0X2E_ and "-" as _0X2D_`,
      );
      continue;
    }
    const { section, key, fromFile } = decoded;

    if (!/^[\x21-\x7e]*$/.test(section) || /[[\]]/.test(section)) {
      issues.push(
        `${variable}: the section ${JSON.stringify(section)} must be printable ASCII without spaces or brackets`,
      );
      continue;
    }
    const keyIssue = iniKeyProblem(key);
    if (keyIssue) {
      issues.push(`${variable}: ${keyIssue}`);
      continue;
    }
    const owned = GIGI_BOOT_OWNED_INI_KEYS.find((o) => o.section === section && o.key === key);
    if (owned) {
      issues.push(`${variable}: ${show(section, key)} is set by ${owned.setBy}; do not set it here`);
      continue;
    }
    let value = raw;
    if (fromFile) {
      let text: string;
      try {
        // Bounded like the NAME_FILE secrets: a regular file, no FIFO, UTF-8 text without NUL.
        text = decodeSecret(await readFile(raw));
      } catch (error) {
        if (error instanceof SecretFileProblem) {
          issues.push(`${variable}: the file ${JSON.stringify(raw)} ${error.message}`);
          continue;
        }
        const code = (error as NodeJS.ErrnoException).code;
        issues.push(
          `${variable}: cannot read the file ${JSON.stringify(raw)}${code ? ` (${code})` : ` (${(error as Error).message})`}`,
        );
        continue;
      }
      value = stripOneLineEnd(text);
    }
    if (/[\r\n]/.test(value)) {
      issues.push(
        fromFile
          ? `${variable}: the file ${JSON.stringify(raw)} has more than one line (one trailing line end is removed, as Gitea does); app.ini values are single lines here`
          : `${variable}: the value contains a line break; app.ini values are single lines here`,
      );
      continue;
    }
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
      issues.push(`${variable}: the value contains control characters`);
      continue;
    }
    const twin = settings.find((s) => s.section === section && s.key === key);
    if (twin) {
      issues.push(
        `${variable} and ${twin.variable} both set ${show(section, key)}: Gitea would apply them in no defined order; set only one`,
      );
      continue;
    }
    settings.push({ variable, section, key, value, secret: fromFile || SECRET_KEY_NAME.test(key) });
  }
  return settings;
}
