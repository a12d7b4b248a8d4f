// The environment gigi-boot reads, as one zod schema: each variable's parser, default
// (`prefault`, in the form an operator would write it), description and secret flag. The
// configuration reference is generated from it (reference.ts), so it is the single source of
// truth for what gigi-boot accepts. The parsers are in parsers.ts and account-parsers.ts, the
// rules between variables in rules.ts, the mapping to BootConfig in boot-config.ts.
import * as z from 'zod';
import {
  adminPassword,
  email,
  giteaName,
  MIN_PASSWORD_LENGTH,
  osUser,
  tokenScopes,
} from './account-parsers.ts';
import { GIGI_GITEA_USERNAME } from './gitea-names.ts';
import {
  absolutePath,
  browserViewUrl,
  buildArgs,
  duration,
  failpoints,
  freeText,
  imageName,
  integer,
  ipAddress,
  optionalOf,
  postgresUrl,
  url,
  verbatim,
  type Ctx,
} from './parsers.ts';
import { DEFAULT_TOKEN_SCOPES } from './token-scopes.ts';

// The environment is parsed once a process, at start (a warm start too): zod's JIT, which
// generates code for each object schema on its first parse, costs more than it saves here.
z.config({ jitless: true });

export const DEFAULT_WEBHOOK_URL = 'http://localhost:3000/webhook/gitea';

/** The app's browser settings with the internal Chrome: the bash entrypoint's defaults ("same env vars, same defaults"). */
export const INTERNAL_CHROME_BROWSER_MODE = 'chrome';
export const INTERNAL_CHROME_BROWSER_VIEW_URL = '/browser/';

/** `.meta()` keys beyond `description` that reference.ts and load-config.ts read. */
// A type alias, not an interface: zod's GlobalMeta wants an index-signature-compatible type.
export type EnvVarMeta = {
  /** Never echoed; may be given as NAME_FILE. */
  secret?: boolean;
  /** Shown in the reference when the default is computed from other variables. */
  defaultText?: string;
};
const secret: EnvVarMeta = { secret: true };

/** A variable with a default, written as an operator would write it (the reference shows it so). */
function defaulted<T>(
  fallback: string,
  parse: (value: string, ctx: Ctx) => T,
  description: string,
  meta?: EnvVarMeta,
) {
  const schema = z.string().prefault(fallback).transform(parse).describe(description);
  return meta ? schema.meta(meta) : schema;
}

/** A variable that may stay unset; `parse` sees undefined then. */
function unset<T>(parse: (value: string | undefined, ctx: Ctx) => T, description: string, meta?: EnvVarMeta) {
  const schema = z.string().optional().transform(parse).describe(description);
  return meta ? schema.meta(meta) : schema;
}

export const envVarsSchema = z.object({
  DATABASE_URL: unset(
    postgresUrl,
    'Postgres holding the boot journal and the Gigi `config` table (postgres:// or postgresql://). Unset: embedded PGlite under `<GIGI_DATA_DIR>/gigi-boot/pglite`, which the Gigi app cannot read; set it in production.',
    secret,
  ),
  GIGI_DATA_DIR: defaulted(
    '/data',
    absolutePath,
    'Absolute path of the persistent volume (Gitea data, gigi-boot state).',
  ),
  GITEA_BIN: defaulted(
    '/usr/local/bin/gitea',
    absolutePath,
    'Absolute path of the gitea executable; checked at start that GIGI_BOOT_GITEA_USER can execute it. Ignored with GITEA_URL.',
  ),
  GITEA_URL: unset(
    optionalOf(url(['http:', 'https:'], { baseOnly: true })),
    'Base http(s) URL of an existing Gitea. Set: external mode, no internal Gitea is written, started or supervised; needs ADMIN_USER and ADMIN_PASSWORD of an existing site admin.',
  ),
  GITEA_HTTP_PORT: defaulted(
    '3300',
    integer(1, 65535, 'an integer port'),
    'TCP port the internal Gitea listens on. Ignored with GITEA_URL.',
  ),
  GITEA_HTTP_ADDR: defaulted(
    '0.0.0.0',
    ipAddress,
    "IP address the supervised internal Gitea listens on (app.ini `[server] HTTP_ADDR`): `0.0.0.0` so the prod Caddyfile's `/v2/*` → gigi:3300 (the container registry) and the act_runner reach it; `127.0.0.1` keeps it inside the container. The temporary Gitea of a boot always listens on 127.0.0.1. Ignored with GITEA_URL.",
  ),
  CHROME_CDP_URL: unset(
    optionalOf(url(['http:', 'https:', 'ws:', 'wss:'])),
    "Chrome DevTools Protocol endpoint (http(s):// or ws(s)://) for the Gigi app's browser.",
  ),
  BROWSER_MODE: unset(
    freeText,
    'Browser mode passed through to the Gigi app (free text, trimmed). Unset: `chrome` with the internal Chrome (as the bash entrypoint), else not passed.',
    { defaultText: INTERNAL_CHROME_BROWSER_MODE },
  ),
  BROWSER_VIEW_URL: unset(
    optionalOf(browserViewUrl),
    "Where users see the browser: a path on the app's origin (the reverse proxy routes it to noVNC on :6080, as the prod Caddyfile's `/browser/*`) or an http(s) URL. Unset: `/browser/` with the internal Chrome (as the bash entrypoint), else not passed.",
    { defaultText: INTERNAL_CHROME_BROWSER_VIEW_URL },
  ),
  ADMIN_USER: defaulted(
    'gigi-admin',
    giteaName,
    `Gitea site admin login (Gitea name rules; not \`${GIGI_GITEA_USERNAME}\`). With GITEA_URL: an existing admin.`,
  ),
  ADMIN_PASSWORD: unset(
    adminPassword,
    `Password of the existing admin; only with GITEA_URL (the internal Gitea's admin password is generated and stored). At least ${MIN_PASSWORD_LENGTH} characters, not a well-known default.`,
    secret,
  ),
  ADMIN_EMAIL: unset(email, 'Email of the admin account.', { defaultText: '<ADMIN_USER>@gigi.local' }),
  ORG_NAME: defaulted(
    'gigi-org',
    giteaName,
    `Gitea organization gigi-boot creates; must differ from ADMIN_USER and \`${GIGI_GITEA_USERNAME}\`.`,
  ),
  WEBHOOK_URL: defaulted(
    DEFAULT_WEBHOOK_URL,
    url(['http:', 'https:']),
    "Receiver of Gitea's system webhook (the Gigi app). With a GITEA_URL on another host: required, an address that Gitea reaches (not localhost).",
  ),
  TELEGRAM_TOKEN: unset(verbatim, 'Telegram bot token for the Gigi app.', secret),
  CLAUDE_TOKEN: unset(verbatim, 'Claude API token for the Gigi app.', secret),
  GITEA_TOKEN_SCOPES: defaulted(
    DEFAULT_TOKEN_SCOPES,
    tokenScopes,
    "Scopes of gigi's API token: comma-separated, case-sensitive, no spaces (`all`, `public-only`, `read:`/`write:` + activitypub, admin, misc, notification, organization, package, issue, repository, user).",
  ),
  GIGI_BOOT_GITEA_USER: defaulted(
    'gigi',
    osUser,
    'OS user that runs the internal Gitea when gigi-boot runs as root.',
  ),
  DOCKER_HOST: unset(
    freeText,
    'Docker engine for the runner-worker image build: unix:///path or tcp://host:port (default socket /var/run/docker.sock).',
  ),
  GIGI_BOOT_DOCKER_SOCKET: unset(
    optionalOf(absolutePath),
    'Docker socket path (wins over DOCKER_HOST). Set it, or DOCKER_HOST, to wait for a socket that appears late.',
  ),
  GIGI_BOOT_RUN_DIR: unset(
    optionalOf(absolutePath),
    "Absolute path of a directory private to this container for supervisord's socket and pidfile (created 0700). The image sets `/run/gigi-boot`: two containers of one data path (a Swarm start-first update) each need their own supervisord.",
    { defaultText: '<GIGI_DATA_DIR>/gigi-boot' },
  ),
  GIGI_BOOT_DOCKER_SOCKET_WAIT: defaulted(
    '30s',
    duration(0),
    'How long to wait for a configured Docker socket to appear (a Docker-in-Docker sidecar still starting).',
  ),
  GIGI_BOOT_RUNNER_IMAGE: defaulted(
    'gigi/runner-worker',
    imageName,
    'Repository of the runner-worker image (no tag): tagged :latest and :ctx-<context hash>.',
  ),
  GIGI_BOOT_RUNNER_CONTEXT: defaulted(
    '/opt/runner-worker',
    absolutePath,
    'Build context of the runner-worker image (holds its Dockerfile).',
  ),
  GIGI_BOOT_RUNNER_BUILD_ARGS: unset(
    buildArgs,
    'Build args for the runner-worker image, as KEY=VALUE,KEY=VALUE (not secret: they end up in the image history).',
  ),
  GIGI_BOOT_RUNNER_NETWORK: unset(
    freeText,
    "Network for the build's RUN steps, e.g. host when the bridge has no egress.",
  ),
  GIGI_BOOT_RUNNER_RETRY: defaulted(
    '5m',
    duration(0),
    'After a failed runner-worker build, how long until a restart tries it again; doubles per failed restart up to 6 h. Restarts before then hand off without building.',
  ),
  GIGI_BOOT_GITEA_READY_TIMEOUT: defaulted(
    '60s',
    duration(1),
    "How long to wait for the temporary Gitea's API to answer.",
  ),
  GIGI_BOOT_DATABASE_TIMEOUT: defaulted(
    '60s',
    duration(0),
    'How long to keep retrying a Postgres that refuses connections (still starting beside the container).',
  ),
  GIGI_BOOT_LOCK_TIMEOUT: defaulted(
    '10m',
    duration(1),
    'How long to wait for another boot of the same volume to release its lock.',
  ),
  GIGI_BOOT_GITEA_STOP_TIMEOUT: defaulted(
    '10s',
    duration(1),
    'Grace between TERM and KILL when stopping the temporary Gitea.',
  ),
  GIGI_BOOT_COMMAND_TIMEOUT: defaulted(
    '60s',
    duration(1),
    'How long a command gigi-boot runs may take (`gitea admin user …`, `getent`) before it is stopped and the step fails.',
  ),
  GIGI_BOOT_HTTP_TIMEOUT: defaulted('10s', duration(1), 'Timeout of each Gitea API request.'),
  GIGI_BOOT_STEP_ATTEMPTS: defaulted(
    '5',
    integer(1, 100, 'an integer'),
    'Attempts per boot step on transient faults, the first included.',
  ),
  GIGI_BOOT_RETRY_BASE_DELAY: defaulted(
    '500ms',
    duration(0),
    'First retry delay; doubles per attempt up to GIGI_BOOT_RETRY_MAX_DELAY.',
  ),
  GIGI_BOOT_RETRY_MAX_DELAY: defaulted('10s', duration(0), 'Ceiling of the retry delay.'),
  GIGI_BOOT_FAILPOINTS: unset(
    failpoints,
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
