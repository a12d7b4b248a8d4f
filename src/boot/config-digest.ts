// What a completed boot was done *for*: if any of these settings changes, the next boot re-runs
// its steps instead of trusting the old result. Secrets enter only as a hash.
import { createHash } from 'node:crypto';
import type { BootConfig } from '../config/types.ts';

/** A stable digest of the settings that shape the boot's result. */
export function configDigest(config: BootConfig, runnerContextHash: string): string {
  const hashOf = (value: string | undefined) =>
    value ? createHash('sha256').update(value).digest('hex') : null;
  const relevant = {
    giteaUrl: config.giteaUrl ?? null,
    giteaHttpPort: config.giteaHttpPort,
    giteaBin: config.giteaBin,
    chromeCdpUrl: config.chromeCdpUrl ?? null,
    browserMode: config.browserMode ?? null,
    browserViewUrl: config.browserViewUrl ?? null,
    adminUser: config.adminUser,
    adminEmail: config.adminEmail,
    orgName: config.orgName,
    webhookUrl: config.webhookUrl,
    tokenScopes: config.tokenScopes,
    docker: config.docker,
    runnerContextHash,
    adminPassword: hashOf(config.adminPassword),
    telegramToken: hashOf(config.telegramToken),
    claudeToken: hashOf(config.claudeToken),
    // Gitea's own settings from GITEA__ variables (an e-mail domain list or ROOT_URL changes
    // what the boot does); secret values only as a hash.
    giteaIni: config.giteaIni.map((s) => [s.section, s.key, s.secret ? hashOf(s.value) : s.value]),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}
