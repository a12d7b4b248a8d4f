// The validated, immutable configuration gigi-boot runs with. Produced once by
// loadConfig(env) from the environment (and NAME_FILE secrets); never mutated. Its type is
// inferred from the mapping in boot-config.ts, where each field is written once.
import type { toBootConfig } from './boot-config.ts';

export type BootConfig = ReturnType<typeof toBootConfig>;
export type Deadlines = BootConfig['deadlines'];
export type DockerSettings = BootConfig['docker'];
/** The one retry policy: the machine's (machines/ may not import from src/). */
export type { RetryPolicy } from '../../machines/boot-logic.ts';

/** Values that must never appear in logs, errors, the journal or inspect output. */
export function secretValuesOf(config: BootConfig): string[] {
  const values = [config.adminPassword, config.telegramToken, config.claudeToken];
  for (const setting of config.giteaIni) if (setting.secret) values.push(setting.value);
  if (config.databaseUrl) {
    try {
      const url = new URL(config.databaseUrl);
      const password = decodeURIComponent(url.password);
      if (password) values.push(password);
      // libpq also takes the password as a query parameter.
      for (const [key, value] of url.searchParams)
        if (/^(password|pass|pwd|sslpassword)$/i.test(key)) values.push(value);
    } catch {
      /* unparsable URLs are rejected by the schema before we get here */
    }
  }
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
