// `gigi-boot check [--json]`: is this environment one `run` would accept? The same loader
// (loadConfig: variables, NAME_FILE secrets, GITEA__*) and the same checks run makes before it
// writes anything (checkBeforeWriting, src/boot/preflight.ts): what check accepts, run accepts,
// by construction. Writes nothing, opens no database. Exit 0, or 2 with every problem listed.
import { checkBeforeWriting } from '../boot/preflight.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { loadConfig, secretValuesOf, type BootConfig } from '../config/index.ts';
import { REDACTED } from '../log/redactor.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { redactDatabaseUrl } from '../store/database-url.ts';

/** The effective configuration, secrets replaced by [redacted]: safe to print or paste. */
export function effectiveConfig(config: BootConfig): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    ...config,
    databaseUrl: config.databaseUrl === undefined ? undefined : redactDatabaseUrl(config.databaseUrl),
    adminPassword: config.adminPassword === undefined ? undefined : REDACTED,
    telegramToken: config.telegramToken === undefined ? undefined : REDACTED,
    claudeToken: config.claudeToken === undefined ? undefined : REDACTED,
    giteaIni: config.giteaIni.map((s) => ({ ...s, value: s.secret ? REDACTED : s.value })),
  };
  // Anything else that holds a secret value (a build arg, a URL) is scrubbed too.
  return processRedactor.redactDeep(JSON.parse(JSON.stringify(shown)) as Record<string, unknown>);
}

/** `key.sub  value` lines, nested objects flattened, arrays as JSON. */
function flatten(value: unknown, prefix: string, out: string[][]): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, out);
  } else {
    out.push([prefix, typeof value === 'string' ? value : JSON.stringify(value)]);
  }
}

export async function execute(flags: Record<string, string | boolean | undefined>): Promise<number> {
  return checkWithEnv(process.env, flags.json === true);
}

/** Why: an operator (or CI) checks a deployment's environment before the container starts. */
export async function checkWithEnv(env: NodeJS.ProcessEnv, json: boolean): Promise<number> {
  // A ConfigError from either step propagates to the CLI boundary: exit 2, every problem listed.
  const { config, warnings } = await loadConfig(env);
  processRedactor.add(...secretValuesOf(config));
  await checkBeforeWriting(config, env);
  const shown = effectiveConfig(config);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: true, warnings: processRedactor.redactDeep(warnings), config: shown }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  const rows: string[][] = [];
  flatten(shown, '', rows);
  const width = Math.max(...rows.map(([key]) => key!.length)) + 2;
  const lines = [
    'gigi-boot check: this environment is one `gigi-boot run` accepts (nothing was written).',
    ...warnings.map((w) => `warning: ${processRedactor.redact(w)}`),
    '',
    'Effective configuration (secrets redacted):',
    ...rows.map(([key, value]) => `  ${key!.padEnd(width)}${value}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return EXIT.ok;
}
