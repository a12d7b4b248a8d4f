// One error class per failure domain. Each carries a stable `code`, the operator's next
// action (`hint`), and a `cause`. Detection uses a symbol brand instead of `instanceof`
// so it still works when two copies of this module are loaded (tsx + vitest, say).

const BRAND = Symbol.for('gigi-boot.error');

export type ErrorDomain =
  | 'config'
  | 'store'
  | 'gitea-api'
  | 'gitea-process'
  | 'docker'
  | 'supervisor'
  | 'lock'
  | 'volume'
  | 'internal';

export interface BootErrorOptions {
  /** What the operator should do about it, in one sentence. */
  hint?: string;
  /** True when retrying the same step later can succeed (Gitea still starting, Postgres briefly away). */
  transient?: boolean;
  cause?: unknown;
}

export class BootError extends Error {
  readonly [BRAND] = true;
  readonly domain: ErrorDomain;
  readonly hint: string | undefined;
  readonly transient: boolean;

  constructor(domain: ErrorDomain, message: string, options: BootErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.domain = domain;
    this.hint = options.hint;
    this.transient = options.transient ?? false;
  }
}

export function isBootError(value: unknown): value is BootError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** Invalid environment, CLI arguments or files: exit code 2, nothing written. */
export class ConfigError extends BootError {
  readonly issues: readonly string[];
  constructor(issues: readonly string[], options: BootErrorOptions = {}) {
    super('config', `Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`, options);
    this.issues = issues;
  }
}

/** Postgres / PGlite unreachable, migration failure, checkpoint write failure. */
export class StoreError extends BootError {
  constructor(message: string, options: BootErrorOptions = {}) {
    super('store', message, options);
  }
}

/** Another boot holds the volume's lock for longer than the lock deadline. */
export class LockTimeoutError extends BootError {
  constructor(message: string, options: BootErrorOptions = {}) {
    super('lock', message, options);
  }
}

/** A Gitea HTTP API call answered unexpectedly (status, body shape) or not at all. */
export class GiteaApiError extends BootError {
  readonly method: string;
  readonly path: string;
  readonly status: number | undefined;
  constructor(
    details: { method: string; path: string; status?: number; message: string },
    options: BootErrorOptions = {},
  ) {
    super('gitea-api', details.message, options);
    this.method = details.method;
    this.path = details.path;
    this.status = details.status;
  }
}

/** The gitea executable failed: missing binary, refused to start, CLI command error. */
export class GiteaProcessError extends BootError {
  readonly exitCode: number | undefined;
  readonly outputTail: string | undefined;
  constructor(
    details: { message: string; exitCode?: number; outputTail?: string },
    options: BootErrorOptions = {},
  ) {
    super('gitea-process', details.message, options);
    this.exitCode = details.exitCode;
    this.outputTail = details.outputTail;
  }
}

/** Gitea's HTTP port is held by a process gigi-boot did not start: it must not get the admin's credentials. */
export class GiteaPortInUseError extends GiteaProcessError {
  readonly port: number;
  readonly address: string;
  constructor(
    details: { port: number; address: string; holders: string; when: 'before-start' | 'after-start' },
    options: BootErrorOptions = {},
  ) {
    super(
      {
        message:
          details.when === 'before-start'
            ? `Gitea's HTTP port ${details.address}:${details.port} is already taken: ${details.holders}`
            : `the process answering on ${details.address}:${details.port} is not the temporary Gitea gigi-boot started: ${details.holders}`,
      },
      {
        transient: false,
        hint: 'Stop that process, or set GITEA_HTTP_PORT to a free port; gigi-boot sends the admin credentials only to the Gitea it started.',
        ...options,
      },
    );
    this.port = details.port;
    this.address = details.address;
  }
}

/**
 * A path on the data volume is not what gigi-boot may use as root: a symbolic or hard link, a
 * non-regular file, a private directory another user owns. Refused, never followed.
 */
export class UnsafePathError extends BootError {
  readonly path: string;
  constructor(path: string, problem: string, options: BootErrorOptions = {}) {
    super('volume', `${path} ${problem}`, options);
    this.path = path;
  }
}

/** A bug in gigi-boot itself: printed with a stack and a request to report it. */
export class InternalError extends BootError {
  constructor(message: string, options: BootErrorOptions = {}) {
    super('internal', message, options);
  }
}

export type DockerErrorReason =
  'no-socket' | 'permission-denied' | 'daemon-down' | 'build-failed' | 'aborted';

/** The Docker engine could not be reached or used, or the runner-worker image build failed or was aborted. */
export class DockerError extends BootError {
  readonly reason: DockerErrorReason;
  /** The last lines of build output, for reason 'build-failed' from the daemon. */
  readonly outputTail: readonly string[];
  constructor(
    reason: DockerErrorReason,
    message: string,
    options: BootErrorOptions & { outputTail?: readonly string[] } = {},
  ) {
    super('docker', message, options);
    this.reason = reason;
    this.outputTail = options.outputTail ?? [];
  }
}

/** The class each domain's errors are (SupervisorError lives with the supervisor: a BootError here). */
interface DomainErrors {
  config: ConfigError;
  store: StoreError;
  'gitea-api': GiteaApiError;
  'gitea-process': GiteaProcessError;
  docker: DockerError;
  supervisor: BootError;
  lock: LockTimeoutError;
  volume: UnsafePathError;
  internal: InternalError;
}

/** Why: the brand and the domain instead of `instanceof`, which a second copy of this module defeats. */
export function isErrorIn<D extends ErrorDomain>(value: unknown, domain: D): value is DomainErrors[D] {
  return isBootError(value) && value.domain === domain;
}

/** Why: "Gitea answered one of these statuses" is how steps tell "absent" or "refused" from a failure. */
export function isGiteaApiStatus(value: unknown, ...statuses: number[]): value is GiteaApiError {
  return isErrorIn(value, 'gitea-api') && value.status !== undefined && statuses.includes(value.status);
}
