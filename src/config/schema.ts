// The environment gigi-boot reads, as one zod schema: each variable's parser, default
// (`prefault`, in the form an operator would write it), description and secret flag. The
// README's configuration table is generated from it (reference.ts), so it is the single
// source of truth for what gigi-boot accepts.
import { isImageRepository } from '../docker/image-name.ts';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { MAX_TIMER_MS, parseDuration } from './duration.ts';
import { FAILPOINTS_SYNTAX, parseFailpoints, type Failpoints } from './failpoints.ts';
import { giteaEmailProblem } from './gitea-email.ts';
import { GIGI_GITEA_USERNAME, giteaNameProblem, sameGiteaName } from './gitea-names.ts';
import { isLocalHost } from './local-host.ts';
import type { BootConfig } from './types.ts';

const DEFAULT_WEBHOOK_URL = 'http://localhost:3000/webhook/gitea';

type Ctx = z.core.$RefinementCtx<unknown>;

/** Token scopes Gitea 1.24 knows (contract §A.1). Case-sensitive. */
/** Gitea's token scope categories, in its canonical order (CONTRACT §A.1). */
export const GITEA_SCOPE_CATEGORIES: readonly string[] = [
  'activitypub',
  'admin',
  'misc',
  'notification',
  'organization',
  'package',
  'issue',
  'repository',
  'user',
];

export const GITEA_TOKEN_SCOPES: readonly string[] = [
  'all',
  'public-only',
  ...GITEA_SCOPE_CATEGORIES.flatMap((c) => [`read:${c}`, `write:${c}`]),
];

/** Every write scope except admin: the Gigi app manages repos and issues, not the site. */
export const DEFAULT_TOKEN_SCOPES = [
  'write:activitypub',
  'write:issue',
  'write:misc',
  'write:notification',
  'write:organization',
  'write:package',
  'write:repository',
  'write:user',
].join(',');

/** Passwords too well known to protect a Gitea admin account (compared case-insensitively). */
export const INSECURE_PASSWORDS: readonly string[] = ['admin', 'gigi-local-dev', 'password'];
export const MIN_PASSWORD_LENGTH = 12;

/** The app's browser settings with the internal Chrome: the bash entrypoint's defaults ("same env vars, same defaults"). */
export const INTERNAL_CHROME_BROWSER_MODE = 'chrome';
export const INTERNAL_CHROME_BROWSER_VIEW_URL = '/browser/';

const MAX_SHOWN = 80;

// Why: error messages show what was given, escaped (newlines stay on one line) and bounded.
export function showValue(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

// URLs may carry user:password@; never show that part.
function showUrl(value: string): string {
  return showValue(value.replace(/\/\/[^/?#]*@/, '//***@'));
}

function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

function absolutePath(value: string, ctx: Ctx): string {
  if (CONTROL_CHARS.test(value) || !path.posix.isAbsolute(value)) {
    return fail(
      ctx,
      `expected an absolute path (starting with "/", no control characters), got ${showValue(value)}`,
    );
  }
  const normalized = path.posix.normalize(value);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

function url(protocols: readonly string[], options: { baseOnly?: boolean } = {}) {
  const expected = `an ${protocols.map((p) => `${p}//`).join(' or ')} URL`;
  return (value: string, ctx: Ctx): string => {
    // WHATWG URL silently drops tabs and newlines inside a URL: the hook would go elsewhere.
    if (CONTROL_CHARS.test(value)) {
      return fail(ctx, `expected ${expected} on one line, without control characters; got ${showUrl(value)}`);
    }
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return fail(ctx, `expected ${expected}, got ${showUrl(value)}`);
    }
    if (!protocols.includes(parsed.protocol) || parsed.hostname === '' || value !== value.trim()) {
      return fail(ctx, `expected ${expected}, got ${showUrl(value)}`);
    }
    if (parsed.username !== '' || parsed.password !== '') {
      return fail(ctx, `must not contain credentials (user:password@); got ${showUrl(value)}`);
    }
    if (options.baseOnly) {
      if (parsed.search !== '' || parsed.hash !== '') {
        return fail(ctx, `expected a base URL without ?query or #fragment, got ${showUrl(value)}`);
      }
      return parsed.href.replace(/\/+$/, '');
    }
    return parsed.href;
  };
}

function postgresUrl(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  if (CONTROL_CHARS.test(value)) {
    return fail(
      ctx,
      'must not contain control characters such as a newline (value not shown: it may contain a password)',
    );
  }
  let protocol: string | undefined;
  try {
    protocol = new URL(value).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    return fail(
      ctx,
      'expected a postgres:// or postgresql:// URL (value not shown: it may contain a password)',
    );
  }
  return value;
}

function ipAddress(value: string, ctx: Ctx): string {
  return isIP(value) === 0
    ? fail(ctx, `expected an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1, got ${showValue(value)}`)
    : value;
}

function integer(min: number, max: number, what: string) {
  return (value: string, ctx: Ctx): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      return fail(ctx, `expected ${what} ${min}-${max}, got ${showValue(value)}`);
    }
    return n;
  };
}

function duration(minMs: number) {
  return (value: string, ctx: Ctx): number => {
    const ms = parseDuration(value);
    if (ms === undefined || ms < minMs || ms > MAX_TIMER_MS) {
      return fail(
        ctx,
        `expected a duration of ${minMs}ms to ${MAX_TIMER_MS}ms like "500ms", "30s", "2m", "1h" or a bare number of milliseconds, got ${showValue(value)}`,
      );
    }
    return ms;
  };
}

function giteaName(value: string, ctx: Ctx): string {
  const problem = giteaNameProblem(value);
  return problem === undefined
    ? value
    : fail(ctx, `expected a Gitea user/org name: ${problem}; got ${showValue(value)}`);
}

// Portable POSIX user names (letters, digits, `.`, `_`, `-`, not starting with `-` or `.`).
const OS_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
function osUser(value: string, ctx: Ctx): string {
  return OS_USER.test(value)
    ? value
    : fail(
        ctx,
        `expected an OS user name (letters, digits, "_", "-", ".", starting with a letter or "_", at most 32 characters), got ${showValue(value)}`,
      );
}

// Exactly what `gitea admin user create --email` accepts (the internal admin is made with it).
function email(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  const problem = giteaEmailProblem(value);
  return problem === undefined
    ? value
    : fail(
        ctx,
        `expected an e-mail address Gitea accepts, like admin@example.com or mauro@localhost: ${problem}; got ${showValue(value)}`,
      );
}

// The app shows the browser view at this address: an absolute http(s) URL, or a path on the
// app's own origin behind the reverse proxy (the bash entrypoint's default `/browser/`).
function browserViewUrl(value: string, ctx: Ctx): string {
  const expected = "expected a path on the app's origin like /browser/, or an http:// or https:// URL";
  if (value.startsWith('/') && !value.startsWith('//')) {
    // eslint-disable-next-line no-control-regex
    if (/[\s\u0000-\u001f\u007f]/.test(value)) return fail(ctx, `${expected}, got ${showValue(value)}`);
    return value;
  }
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.hostname === '' ||
    value !== value.trim()
  )
    return fail(ctx, `${expected}, got ${showUrl(value)}`);
  if (parsed.username !== '' || parsed.password !== '')
    return fail(ctx, `must not contain credentials (user:password@); got ${showUrl(value)}`);
  return parsed.href;
}

function adminPassword(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  if (INSECURE_PASSWORDS.includes(value.toLowerCase())) {
    return fail(ctx, 'is a well-known default; choose a unique one (value not shown)');
  }
  if (value.length < MIN_PASSWORD_LENGTH) {
    return fail(ctx, `expected at least ${MIN_PASSWORD_LENGTH} characters (value not shown)`);
  }
  return value;
}

function tokenScopes(value: string, ctx: Ctx): string[] {
  const scopes = value.split(',');
  const unknown = scopes.filter((s) => !GITEA_TOKEN_SCOPES.includes(s));
  if (unknown.length > 0) {
    return fail(
      ctx,
      `expected comma-separated Gitea token scopes without spaces (${GITEA_TOKEN_SCOPES.join(', ')}); unknown: ${unknown.map(showValue).join(', ')}`,
    );
  }
  const unique = [...new Set(scopes)];
  if (unique.every((s) => s === 'public-only')) {
    return fail(
      ctx,
      'expected at least one read:/write:/all scope besides public-only (Gitea rejects such a token)',
    );
  }
  return unique;
}

function freeText(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || CONTROL_CHARS.test(trimmed)) {
    return fail(ctx, `expected a non-blank single-line value, got ${showValue(value)}`);
  }
  return trimmed;
}

function imageName(value: string, ctx: Ctx): string {
  if (!isImageRepository(value))
    fail(ctx, `expected an image repository without a tag, e.g. gigi/runner-worker, got ${showValue(value)}`);
  return value;
}

function buildArgs(value: string | undefined, ctx: Ctx): Record<string, string> {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    const key = eq > 0 ? item.slice(0, eq).trim() : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      fail(ctx, `expected KEY=VALUE pairs separated by commas, got ${showValue(item)}`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}

function failpoints(value: string | undefined, ctx: Ctx): Failpoints {
  if (value === undefined) return {};
  const parsed = parseFailpoints(value);
  if (typeof parsed === 'string') return fail(ctx, `expected ${FAILPOINTS_SYNTAX}; ${parsed}`);
  return parsed;
}

const str = () => z.string();
const optional = () => z.string().optional();
const optionalOf =
  <T>(parse: (value: string, ctx: Ctx) => T) =>
  (value: string | undefined, ctx: Ctx): T | undefined =>
    value === undefined ? undefined : parse(value, ctx);
const verbatim = (value: string | undefined) => value;

/** `.meta()` keys beyond `description` that reference.ts and load-config.ts read. */
// A type alias, not an interface: zod's GlobalMeta wants an index-signature-compatible type.
export type EnvVarMeta = {
  /** Never echoed; may be given as NAME_FILE. */
  secret?: boolean;
  /** Shown in the reference when the default is computed from other variables. */
  defaultText?: string;
};
const secret: EnvVarMeta = { secret: true };

export const envVarsSchema = z.object({
  DATABASE_URL: optional()
    .transform(postgresUrl)
    .describe(
      'Postgres holding the boot journal and the Gigi `config` table (postgres:// or postgresql://). Unset: embedded PGlite under `<GIGI_DATA_DIR>/gigi-boot/pglite`, which the Gigi app cannot read; set it in production.',
    )
    .meta(secret),
  GIGI_DATA_DIR: str()
    .prefault('/data')
    .transform(absolutePath)
    .describe('Absolute path of the persistent volume (Gitea data, gigi-boot state).'),
  GITEA_BIN: str()
    .prefault('/usr/local/bin/gitea')
    .transform(absolutePath)
    .describe(
      'Absolute path of the gitea executable; checked at start that GIGI_BOOT_GITEA_USER can execute it. Ignored with GITEA_URL.',
    ),
  GITEA_URL: optional()
    .transform(optionalOf(url(['http:', 'https:'], { baseOnly: true })))
    .describe(
      'Base http(s) URL of an existing Gitea. Set: external mode, no internal Gitea is written, started or supervised; needs ADMIN_USER and ADMIN_PASSWORD of an existing site admin.',
    ),
  GITEA_HTTP_PORT: str()
    .prefault('3300')
    .transform(integer(1, 65535, 'an integer port'))
    .describe('TCP port the internal Gitea listens on. Ignored with GITEA_URL.'),
  GITEA_HTTP_ADDR: str()
    .prefault('0.0.0.0')
    .transform(ipAddress)
    .describe(
      "IP address the supervised internal Gitea listens on (app.ini `[server] HTTP_ADDR`): `0.0.0.0` so the prod Caddyfile's `/v2/*` → gigi:3300 (the container registry) and the act_runner reach it; `127.0.0.1` keeps it inside the container. The temporary Gitea of a boot always listens on 127.0.0.1. Ignored with GITEA_URL.",
    ),
  CHROME_CDP_URL: optional()
    .transform(optionalOf(url(['http:', 'https:', 'ws:', 'wss:'])))
    .describe("Chrome DevTools Protocol endpoint (http(s):// or ws(s)://) for the Gigi app's browser."),
  BROWSER_MODE: optional()
    .transform(freeText)
    .describe(
      'Browser mode passed through to the Gigi app (free text, trimmed). Unset: `chrome` with the internal Chrome (as the bash entrypoint), else not passed.',
    )
    .meta({ defaultText: INTERNAL_CHROME_BROWSER_MODE } satisfies EnvVarMeta),
  BROWSER_VIEW_URL: optional()
    .transform(optionalOf(browserViewUrl))
    .describe(
      "Where users see the browser: a path on the app's origin (the reverse proxy routes it to noVNC on :6080, as the prod Caddyfile's `/browser/*`) or an http(s) URL. Unset: `/browser/` with the internal Chrome (as the bash entrypoint), else not passed.",
    )
    .meta({ defaultText: INTERNAL_CHROME_BROWSER_VIEW_URL } satisfies EnvVarMeta),
  ADMIN_USER: str()
    .prefault('gigi-admin')
    .transform(giteaName)
    .describe(
      `Gitea site admin login (Gitea name rules; not \`${GIGI_GITEA_USERNAME}\`). With GITEA_URL: an existing admin.`,
    ),
  ADMIN_PASSWORD: optional()
    .transform(adminPassword)
    .describe(
      `Password of the existing admin; only with GITEA_URL (the internal Gitea's admin password is generated and stored). At least ${MIN_PASSWORD_LENGTH} characters, not a well-known default.`,
    )
    .meta(secret),
  ADMIN_EMAIL: optional()
    .transform(email)
    .describe('Email of the admin account.')
    .meta({ defaultText: '<ADMIN_USER>@gigi.local' } satisfies EnvVarMeta),
  ORG_NAME: str()
    .prefault('gigi-org')
    .transform(giteaName)
    .describe(
      `Gitea organization gigi-boot creates; must differ from ADMIN_USER and \`${GIGI_GITEA_USERNAME}\`.`,
    ),
  WEBHOOK_URL: str()
    .prefault(DEFAULT_WEBHOOK_URL)
    .transform(url(['http:', 'https:']))
    .describe(
      "Receiver of Gitea's system webhook (the Gigi app). With a GITEA_URL on another host: required, an address that Gitea reaches (not localhost).",
    ),
  TELEGRAM_TOKEN: optional()
    .transform(verbatim)
    .describe('Telegram bot token for the Gigi app.')
    .meta(secret),
  CLAUDE_TOKEN: optional().transform(verbatim).describe('Claude API token for the Gigi app.').meta(secret),
  GITEA_TOKEN_SCOPES: str()
    .prefault(DEFAULT_TOKEN_SCOPES)
    .transform(tokenScopes)
    .describe(
      "Scopes of gigi's API token: comma-separated, case-sensitive, no spaces (`all`, `public-only`, `read:`/`write:` + activitypub, admin, misc, notification, organization, package, issue, repository, user).",
    ),
  GIGI_BOOT_GITEA_USER: str()
    .prefault('gigi')
    .transform(osUser)
    .describe('OS user that runs the internal Gitea when gigi-boot runs as root.'),
  DOCKER_HOST: optional()
    .transform(freeText)
    .describe(
      'Docker engine for the runner-worker image build: unix:///path or tcp://host:port (default socket /var/run/docker.sock).',
    ),
  GIGI_BOOT_DOCKER_SOCKET: optional()
    .transform(optionalOf(absolutePath))
    .describe(
      'Docker socket path (wins over DOCKER_HOST). Set it, or DOCKER_HOST, to wait for a socket that appears late.',
    ),
  GIGI_BOOT_RUN_DIR: optional()
    .transform(optionalOf(absolutePath))
    .describe(
      "Absolute path of a directory private to this container for supervisord's socket and pidfile (created 0700). The image sets `/run/gigi-boot`: two containers of one data path (a Swarm start-first update) each need their own supervisord.",
    )
    .meta({ defaultText: '<GIGI_DATA_DIR>/gigi-boot' } satisfies EnvVarMeta),
  GIGI_BOOT_DOCKER_SOCKET_WAIT: str()
    .prefault('30s')
    .transform(duration(0))
    .describe(
      'How long to wait for a configured Docker socket to appear (a Docker-in-Docker sidecar still starting).',
    ),
  GIGI_BOOT_RUNNER_IMAGE: str()
    .prefault('gigi/runner-worker')
    .transform(imageName)
    .describe('Repository of the runner-worker image (no tag): tagged :latest and :ctx-<context hash>.'),
  GIGI_BOOT_RUNNER_CONTEXT: str()
    .prefault('/opt/runner-worker')
    .transform(absolutePath)
    .describe('Build context of the runner-worker image (holds its Dockerfile).'),
  GIGI_BOOT_RUNNER_BUILD_ARGS: optional()
    .transform(buildArgs)
    .describe(
      'Build args for the runner-worker image, as KEY=VALUE,KEY=VALUE (not secret: they end up in the image history).',
    ),
  GIGI_BOOT_RUNNER_NETWORK: optional()
    .transform(freeText)
    .describe("Network for the build's RUN steps, e.g. host when the bridge has no egress."),
  GIGI_BOOT_RUNNER_RETRY: str()
    .prefault('5m')
    .transform(duration(0))
    .describe(
      'After a failed runner-worker build, how long until a restart tries it again; doubles per failed restart up to 6 h. Restarts before then hand off without building.',
    ),
  GIGI_BOOT_GITEA_READY_TIMEOUT: str()
    .prefault('60s')
    .transform(duration(1))
    .describe("How long to wait for the temporary Gitea's API to answer."),
  GIGI_BOOT_DATABASE_TIMEOUT: str()
    .prefault('60s')
    .transform(duration(0))
    .describe(
      'How long to keep retrying a Postgres that refuses connections (still starting beside the container).',
    ),
  GIGI_BOOT_LOCK_TIMEOUT: str()
    .prefault('10m')
    .transform(duration(1))
    .describe('How long to wait for another boot of the same volume to release its lock.'),
  GIGI_BOOT_GITEA_STOP_TIMEOUT: str()
    .prefault('10s')
    .transform(duration(1))
    .describe('Grace between TERM and KILL when stopping the temporary Gitea.'),
  GIGI_BOOT_COMMAND_TIMEOUT: str()
    .prefault('60s')
    .transform(duration(1))
    .describe(
      'How long a command gigi-boot runs may take (`gitea admin user …`, `getent`) before it is stopped and the step fails.',
    ),
  GIGI_BOOT_HTTP_TIMEOUT: str()
    .prefault('10s')
    .transform(duration(1))
    .describe('Timeout of each Gitea API request.'),
  GIGI_BOOT_STEP_ATTEMPTS: str()
    .prefault('5')
    .transform(integer(1, 100, 'an integer'))
    .describe('Attempts per boot step on transient faults, the first included.'),
  GIGI_BOOT_RETRY_BASE_DELAY: str()
    .prefault('500ms')
    .transform(duration(0))
    .describe('First retry delay; doubles per attempt up to GIGI_BOOT_RETRY_MAX_DELAY.'),
  GIGI_BOOT_RETRY_MAX_DELAY: str()
    .prefault('10s')
    .transform(duration(0))
    .describe('Ceiling of the retry delay.'),
  GIGI_BOOT_FAILPOINTS: optional()
    .transform(failpoints)
    .describe(
      'Testing and ops drills only, never in production: make boot steps fail on purpose. STEP=TERM[->TERM…], comma-separated; TERM is `transient` or `permanent` (the step raises a fault of its own kind before doing anything), `crash` (the process SIGKILLs itself once the step has done its work and its state is checkpointed, before the result is) or `off`, each optionally `*N` for the next N attempts in this process (only the last term may omit it; then the step runs normally). E.g. `createOrg=transient*1,handOff=crash*1`.',
    ),
});

export type EnvVarName = keyof typeof envVarsSchema.shape;
export type EnvVars = z.output<typeof envVarsSchema>;

/** Every variable the schema knows, in documentation order. */
export const ENV_VAR_NAMES = Object.keys(envVarsSchema.shape) as EnvVarName[];

// Why: the docs registry is the one place that says which variables are secrets.
export function envVarMeta(name: EnvVarName): EnvVarMeta & { description?: string } {
  const meta = z.globalRegistry.get(envVarsSchema.shape[name]) ?? {};
  return {
    description: meta.description,
    secret: meta.secret === true,
    defaultText: typeof meta.defaultText === 'string' ? meta.defaultText : undefined,
  };
}

/** Secret variables: never echoed, also readable from NAME_FILE. */
export const SECRET_ENV_VARS: readonly EnvVarName[] = ENV_VAR_NAMES.filter(
  (n) => envVarMeta(n).secret === true,
);

// Why: the reference table shows the default as an operator would write it, taken from the
// schema's own prefault so docs and behaviour cannot drift apart.
export function envVarDefault(name: EnvVarName): string | undefined {
  const meta = envVarMeta(name);
  if (meta.defaultText !== undefined) return meta.defaultText;
  let def = envVarsSchema.shape[name]._zod.def as z.core.$ZodTypeDef & {
    in?: z.ZodType;
    defaultValue?: unknown;
  };
  while (def.type === 'pipe' && def.in) def = def.in._zod.def;
  return def.type === 'prefault' ? String(def.defaultValue) : undefined;
}

function effectivePort(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}

// Rules between variables. Runs even when single variables failed (`when`), so every problem
// is reported at once; a rule is skipped when a variable it compares is itself invalid.
function crossFieldRules(v: EnvVars, ctx: z.core.$RefinementCtx<EnvVars>): void {
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

function toBootConfig(v: EnvVars): BootConfig {
  return {
    databaseUrl: v.DATABASE_URL,
    dataDir: v.GIGI_DATA_DIR,
    runDir: v.GIGI_BOOT_RUN_DIR ?? path.join(v.GIGI_DATA_DIR, 'gigi-boot'),
    giteaBin: v.GITEA_BIN,
    giteaUrl: v.GITEA_URL,
    giteaHttpPort: v.GITEA_HTTP_PORT,
    giteaHttpAddr: v.GITEA_HTTP_ADDR,
    chromeCdpUrl: v.CHROME_CDP_URL,
    browserMode: v.BROWSER_MODE,
    browserViewUrl: v.BROWSER_VIEW_URL,
    adminUser: v.ADMIN_USER,
    adminPassword: v.ADMIN_PASSWORD,
    adminEmail: v.ADMIN_EMAIL ?? `${v.ADMIN_USER}@gigi.local`,
    orgName: v.ORG_NAME,
    webhookUrl: v.WEBHOOK_URL,
    telegramToken: v.TELEGRAM_TOKEN,
    claudeToken: v.CLAUDE_TOKEN,
    tokenScopes: v.GITEA_TOKEN_SCOPES,
    giteaRunUser: v.GIGI_BOOT_GITEA_USER,
    deadlines: {
      giteaReadyMs: v.GIGI_BOOT_GITEA_READY_TIMEOUT,
      lockWaitMs: v.GIGI_BOOT_LOCK_TIMEOUT,
      databaseWaitMs: v.GIGI_BOOT_DATABASE_TIMEOUT,
      giteaStopMs: v.GIGI_BOOT_GITEA_STOP_TIMEOUT,
      httpRequestMs: v.GIGI_BOOT_HTTP_TIMEOUT,
      commandMs: v.GIGI_BOOT_COMMAND_TIMEOUT,
      dockerSocketWaitMs: v.GIGI_BOOT_DOCKER_SOCKET_WAIT,
      runnerRetryMs: v.GIGI_BOOT_RUNNER_RETRY,
    },
    docker: {
      socketPath: v.GIGI_BOOT_DOCKER_SOCKET,
      dockerHost: v.DOCKER_HOST,
      runnerImage: v.GIGI_BOOT_RUNNER_IMAGE,
      runnerContextDir: v.GIGI_BOOT_RUNNER_CONTEXT,
      buildArgs: v.GIGI_BOOT_RUNNER_BUILD_ARGS,
      networkMode: v.GIGI_BOOT_RUNNER_NETWORK,
    },
    failpoints: v.GIGI_BOOT_FAILPOINTS,
    // Filled by loadConfig: the GITEA__ family is open-ended, not one schema entry each.
    giteaIni: [],
    retry: {
      maxAttempts: v.GIGI_BOOT_STEP_ATTEMPTS,
      baseDelayMs: v.GIGI_BOOT_RETRY_BASE_DELAY,
      maxDelayMs: v.GIGI_BOOT_RETRY_MAX_DELAY,
    },
  };
}

/** Environment (empty values already dropped, NAME_FILE secrets resolved) → BootConfig. */
export const bootConfigSchema = envVarsSchema
  .superRefine(crossFieldRules, { when: () => true })
  .transform(toBootConfig);
