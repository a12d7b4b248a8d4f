// Keys of the app's `config` table that gigi-boot writes. The names are the Gigi app's: keep them.
export const CONFIG_KEYS = {
  giteaUrl: 'gitea_url',
  giteaToken: 'gitea_token',
  giteaPassword: 'gitea_password',
  adminUser: 'admin_user',
  adminPassword: 'admin_password',
  webhookSecret: 'webhook_secret',
  telegramToken: 'telegram_token',
  claudeToken: 'claude_oauth_token',
  /** Not a secret: which system webhook we created, so a re-run keeps it instead of duplicating. */
  webhookId: 'gitea_webhook_id',
} as const;

/** Keys whose values are secrets: redacted everywhere, shown only by `inspect --reveal`. */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set([
  CONFIG_KEYS.giteaToken,
  CONFIG_KEYS.giteaPassword,
  CONFIG_KEYS.adminPassword,
  CONFIG_KEYS.webhookSecret,
  CONFIG_KEYS.telegramToken,
  CONFIG_KEYS.claudeToken,
]);

/** Keys a completed boot must have written (the optional tokens only when configured). */
export const REQUIRED_CONFIG_KEYS: readonly string[] = [
  CONFIG_KEYS.giteaUrl,
  CONFIG_KEYS.giteaToken,
  CONFIG_KEYS.adminUser,
  CONFIG_KEYS.webhookSecret,
];
