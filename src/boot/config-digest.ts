// What a completed boot was done *for*: if any of these settings changes, the next boot re-runs
// its steps instead of trusting the old result. Secrets enter only as a hash.
import { createHash } from 'node:crypto';
import type { BootConfig } from '../config/types.ts';

/**
 * A stable digest of the settings that shape Gitea's side of the boot (users, token, org,
 * webhook, the app's config). The runner-worker image has its own digest (runnerDigest): a
 * changed Dockerfile or Docker setting rebuilds the image without re-running the Gitea steps.
 */
export function configDigest(config: BootConfig): string {
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
    adminPassword: hashOf(config.adminPassword),
    telegramToken: hashOf(config.telegramToken),
    claudeToken: hashOf(config.claudeToken),
    // Gitea's own settings from GITEA__ variables (an e-mail domain list or ROOT_URL changes
    // what the boot does); secret values only as a hash.
    giteaIni: config.giteaIni.map((s) => [s.section, s.key, s.secret ? hashOf(s.value) : s.value]),
  };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex');
}

/** What the runner-worker image is built for: the Docker settings, whether an engine is configured, the context. */
export function runnerDigest(
  config: BootConfig,
  dockerConfigured: boolean,
  runnerContextHash: string,
): string {
  return createHash('sha256')
    .update(JSON.stringify({ docker: config.docker, dockerConfigured, runnerContextHash }))
    .digest('hex');
}
