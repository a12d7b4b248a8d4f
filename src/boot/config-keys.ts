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
  /**
   * An adopted bash-entrypoint volume: an access token of its existing admin (a person's account,
   * whose password gigi-boot never learns or changes), minted with `gitea admin user
   * generate-access-token` — the admin API's credential where admin_password is absent.
   */
  adminToken: 'gigi_boot_admin_token',
} as const;

/** Keys whose values are secrets: redacted everywhere, shown only by `inspect --reveal`. */
export const SECRET_CONFIG_KEYS: ReadonlySet<string> = new Set([
  CONFIG_KEYS.giteaToken,
  CONFIG_KEYS.giteaPassword,
  CONFIG_KEYS.adminPassword,
  CONFIG_KEYS.adminToken,
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
