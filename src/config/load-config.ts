// Reads gigi-boot's configuration from the environment (and NAME_FILE secrets) once, at
// startup: every problem is collected into one ConfigError, and secrets never reach a message.
import { ConfigError } from '../errors.ts';
import { collectGiteaEnv } from './gitea-env.ts';
import { decodeSecret, readSecretFileBytes, SecretFileProblem } from './read-secret-file.ts';
import { bootConfigSchema } from './boot-config.ts';
import { ENV_VAR_NAMES, SECRET_ENV_VARS } from './schema.ts';
import type { BootConfig } from './types.ts';

export interface LoadConfigOptions {
  /** Reads a NAME_FILE secret; defaults to a bounded read of a regular file (read-secret-file.ts). */
  readFile?: (path: string) => Promise<Buffer | string>;
}

export interface LoadedConfig {
  config: BootConfig;
  /** Non-fatal findings for the operator (PGlite fallback, unknown GIGI_BOOT_* variables, …). */
  warnings: string[];
}

const BOOT_PREFIX = 'GIGI_BOOT_';
/** Secrets shorter than this are not scrubbed from messages (they would mangle ordinary words). */
const MIN_SCRUB_LENGTH = 6;

const known = new Set<string>(ENV_VAR_NAMES);
const secretNames = new Set<string>(SECRET_ENV_VARS);

function stripOneTrailingNewline(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

function present(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

// Levenshtein distance, for "did you mean" on misspelt GIGI_BOOT_* variables.
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownBootVarWarning(name: string): string {
  const suggestion = ENV_VAR_NAMES.filter((k) => k.startsWith(BOOT_PREFIX))
    .map((k) => ({ k, d: editDistance(name, k) }))
    .sort((x, y) => x.d - y.d)[0];
  const hint = suggestion && suggestion.d <= 3 ? ` (did you mean ${suggestion.k}?)` : '';
  return `${name} is not a gigi-boot setting and is ignored${hint}`;
}

// Why: turn NAME_FILE into NAME like the official postgres image, so secrets can come from
// Docker/Kubernetes secret files; both set, or an unreadable file, is an operator mistake.
async function resolveSecretFiles(
  env: Record<string, string | undefined>,
  readFile: (path: string) => Promise<Buffer | string>,
  input: Record<string, string | undefined>,
  issues: string[],
): Promise<Set<string>> {
  const fromFile = new Set<string>();
  // Read in parallel, report in the schema's order (the message does not depend on timing).
  const problems = await Promise.all(
    SECRET_ENV_VARS.map(async (name): Promise<string | undefined> => {
      const fileVar = `${name}_FILE`;
      const file = env[fileVar];
      if (!present(file)) return undefined;
      if (present(env[name])) return `${name} and ${fileVar} are both set: set only one of them`;
      let content: string;
      try {
        content = decodeSecret(await readFile(file));
      } catch (error) {
        if (error instanceof SecretFileProblem)
          return `${fileVar}: the file ${JSON.stringify(file)} ${error.message}`;
        const code = (error as NodeJS.ErrnoException).code;
        return `${fileVar}: cannot read the file ${JSON.stringify(file)}${code ? ` (${code})` : ''}`;
      }
      const value = stripOneTrailingNewline(content);
      if (value === '') return `${fileVar}: the file ${JSON.stringify(file)} is empty`;
      input[name] = value;
      fromFile.add(name);
      return undefined;
    }),
  );
  issues.push(...problems.filter((p) => p !== undefined));
  return fromFile;
}

function urlPassword(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(new URL(value).password) || undefined;
  } catch {
    return undefined;
  }
}

function scrub(message: string, secrets: readonly string[]): string {
  return secrets.reduce(
    (m, s) => (s.length >= MIN_SCRUB_LENGTH ? m.split(s).join('[redacted]') : m),
    message,
  );
}

// Why: the one entry point that validates the whole environment before anything is written.
// Throws ConfigError listing every problem; returns the config plus warnings to log.
export async function loadConfig(
  env: Record<string, string | undefined>,
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
  const readFile = options.readFile ?? ((p: string) => readSecretFileBytes(p));
  const issues: string[] = [];
  const warnings: string[] = [];

  // Empty values count as unset (`FOO=` in compose files).
  const input: Record<string, string | undefined> = {};
  for (const name of ENV_VAR_NAMES) input[name] = present(env[name]) ? env[name] : undefined;
  const fromFile = await resolveSecretFiles(env, readFile, input, issues);

  const giteaIni = await collectGiteaEnv(env, readFile, issues);

  const result = bootConfigSchema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const name = String(issue.path[0] ?? '');
      const label = fromFile.has(name) ? `${name} (from ${name}_FILE)` : name;
      issues.push(`${label}: ${issue.message}`);
    }
  }
  if (issues.length > 0 || !result.success) {
    const secrets = [...secretNames].flatMap((n) => (input[n] === undefined ? [] : [input[n]]));
    const dbPassword = urlPassword(input.DATABASE_URL);
    if (dbPassword) secrets.push(dbPassword);
    for (const setting of giteaIni) if (setting.secret) secrets.push(setting.value);
    throw new ConfigError(
      issues.map((i) => scrub(i, secrets)),
      {
        hint: 'Fix the environment variables listed above; docs/configuration.md (linked from README.md#configuration) lists every setting.',
      },
    );
  }
  const config: BootConfig = { ...result.data, giteaIni: result.data.giteaUrl === undefined ? giteaIni : [] };

  if (config.databaseUrl === undefined) {
    warnings.push(
      `DATABASE_URL is not set: using embedded PGlite under ${config.dataDir}/gigi-boot/pglite; the Gigi app cannot read this store, set DATABASE_URL for production`,
    );
  }
  if (config.giteaUrl !== undefined) {
    const ignored = (['GITEA_BIN', 'GITEA_HTTP_PORT', 'GITEA_HTTP_ADDR'] as const).filter((n) =>
      present(env[n]),
    );
    if (ignored.length > 0)
      warnings.push(
        `${ignored.join(', ').replace(/, ([^,]*)$/, ' and $1')} ignored: GITEA_URL selects an external Gitea`,
      );
  }
  if (config.giteaUrl !== undefined && giteaIni.length > 0)
    warnings.push(
      `${giteaIni.map((s) => s.variable).join(', ')} ignored: GITEA_URL selects an external Gitea, whose app.ini gigi-boot does not write`,
    );
  if (config.tokenScopes.some((s) => s === 'all' || s === 'write:admin' || s === 'read:admin')) {
    warnings.push(
      "GITEA_TOKEN_SCOPES grants gigi's token site-admin scopes (all or *:admin); the default leaves admin out",
    );
  }
  const armed = Object.keys(config.failpoints);
  if (armed.length > 0) {
    warnings.push(
      `GIGI_BOOT_FAILPOINTS is set: ${armed.join(', ')} will fail or crash on purpose (tests and ops drills only; unset it in production)`,
    );
  }
  for (const name of Object.keys(env).sort()) {
    if (!present(env[name])) continue;
    const base = name.endsWith('_FILE') ? name.slice(0, -'_FILE'.length) : undefined;
    if (base !== undefined && known.has(base) && !secretNames.has(base)) {
      warnings.push(
        `${name} is ignored: only secrets (${SECRET_ENV_VARS.join(', ')}) can be read from a file`,
      );
    } else if (name.startsWith(BOOT_PREFIX) && !known.has(name)) {
      warnings.push(unknownBootVarWarning(name));
    } else if (/^GITEA_[^_]\w*__/i.test(name) && !known.has(name)) {
      // Gitea's convention needs two underscores after GITEA: this one sets nothing.
      warnings.push(
        `${name} is ignored: Gitea's settings are GITEA__section__KEY (two underscores after GITEA), e.g. GITEA__${name.slice('GITEA_'.length)}`,
      );
    }
  }
  return { config, warnings };
}
