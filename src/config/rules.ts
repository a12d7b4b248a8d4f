// The rules between variables, checked after each variable parsed on its own: an external
// Gitea needs an admin password and a webhook it can reach, names Gitea keeps in one namespace
// must differ, the retry delays must be ordered. Each issue has the variable's name as its path.
import type { z } from 'zod';
import { GIGI_GITEA_USERNAME, sameGiteaName } from './gitea-names.ts';
import { isLocalHost } from './local-host.ts';
import { DEFAULT_WEBHOOK_URL, type EnvVarName, type EnvVars } from './schema.ts';

function effectivePort(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}

// Rules between variables. Runs even when single variables failed (`when`), so every problem
// is reported at once; a rule is skipped when a variable it compares is itself invalid.
export function crossFieldRules(v: EnvVars, ctx: z.core.$RefinementCtx<EnvVars>): void {
  const failed = new Set(ctx.issues.map((i) => i.path?.[0]));
  const ok = (name: EnvVarName) => !failed.has(name);
  const given = (name: EnvVarName) => v[name] !== undefined;
  const issue = (name: EnvVarName, message: string) =>
    ctx.addIssue({ code: 'custom', path: [name], message });

  if (given('ADMIN_PASSWORD') && !given('GITEA_URL')) {
    issue(
      'ADMIN_PASSWORD',
      "is only used with an external Gitea (GITEA_URL); the internal Gitea gets a generated admin password that gigi-boot stores (config key admin_password): the bash entrypoint's fixed admin/gigi-local-dev passwords were known to anyone who read it. Unset ADMIN_PASSWORD, or set GITEA_URL",
    );
  }
  if (given('GITEA_URL') && !given('ADMIN_PASSWORD')) {
    issue(
      'GITEA_URL',
      'an external Gitea needs the credentials of an existing site admin: set ADMIN_USER and ADMIN_PASSWORD (or ADMIN_PASSWORD_FILE)',
    );
  }
  if (ok('ADMIN_USER') && sameGiteaName(v.ADMIN_USER, GIGI_GITEA_USERNAME)) {
    issue(
      'ADMIN_USER',
      `must not be "${GIGI_GITEA_USERNAME}": gigi-boot creates that account for the Gigi app`,
    );
  }
  if (ok('ORG_NAME') && sameGiteaName(v.ORG_NAME, GIGI_GITEA_USERNAME)) {
    issue(
      'ORG_NAME',
      `must differ from "${GIGI_GITEA_USERNAME}" (users and orgs share one namespace in Gitea, and gigi-boot creates the user "${GIGI_GITEA_USERNAME}"; the bash entrypoint's ORG_NAME=${GIGI_GITEA_USERNAME} never made an org for that reason), e.g. ORG_NAME=gigi-org`,
    );
  }
  if (ok('ORG_NAME') && ok('ADMIN_USER') && sameGiteaName(v.ORG_NAME, v.ADMIN_USER)) {
    issue(
      'ORG_NAME',
      'must differ from ADMIN_USER, case-insensitively (users and orgs share one namespace in Gitea)',
    );
  }
  if (
    ok('GIGI_BOOT_RETRY_BASE_DELAY') &&
    ok('GIGI_BOOT_RETRY_MAX_DELAY') &&
    v.GIGI_BOOT_RETRY_BASE_DELAY > v.GIGI_BOOT_RETRY_MAX_DELAY
  ) {
    issue('GIGI_BOOT_RETRY_BASE_DELAY', 'must not exceed GIGI_BOOT_RETRY_MAX_DELAY');
  }
  // An external Gitea posts its hooks from its own host: "localhost" there is not the Gigi app.
  // (A Gitea on this machine's loopback, as in tests or a sidecar setup, does reach it.)
  if (given('GITEA_URL') && ok('GITEA_URL') && ok('WEBHOOK_URL')) {
    const gitea = new URL(v.GITEA_URL!);
    const webhook = new URL(v.WEBHOOK_URL);
    if (isLocalHost(webhook.hostname) && !isLocalHost(gitea.hostname)) {
      issue(
        'WEBHOOK_URL',
        `must be the Gigi app's address as the external Gitea at ${gitea.host} reaches it, not ${webhook.host} (that is the Gitea host itself${v.WEBHOOK_URL === DEFAULT_WEBHOOK_URL ? '; this is the default' : ''}): set WEBHOOK_URL, e.g. http://gigi:3000/webhook/gitea`,
      );
    }
  }
  if (!given('GITEA_URL') && ok('GITEA_HTTP_PORT') && ok('WEBHOOK_URL')) {
    const webhook = new URL(v.WEBHOOK_URL);
    if (isLocalHost(webhook.hostname) && effectivePort(webhook) === v.GITEA_HTTP_PORT) {
      issue(
        'GITEA_HTTP_PORT',
        `must differ from the port of the local WEBHOOK_URL receiver (${v.GITEA_HTTP_PORT})`,
      );
    }
  }
}
