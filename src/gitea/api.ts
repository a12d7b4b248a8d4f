// A small Gitea API client on undici: per-request timeout plus the caller's AbortSignal, every
// answer validated with zod, and every failure turned into a GiteaApiError that says which
// call failed, whether retrying can help, and what the operator should do — without secrets.
import { setTimeout as sleep } from 'node:timers/promises';
import type * as z from 'zod';
import { GiteaApiError, isBootError } from '../errors.ts';
import { redactValues } from './redact.ts';
import { ErrorBodySchema, VersionSchema } from './schemas.ts';

let undici: Promise<typeof import('undici')> | undefined;

/**
 * Why: undici takes longer to load than a first boot spends between its plan and its first
 * step, and no step needs it before Gitea listens: it is loaded on the first request, or earlier
 * by preloadHttpClient() while the temporary Gitea starts (the boot is only waiting then).
 */
export function preloadHttpClient(): Promise<typeof import('undici')> {
  return (undici ??= import('undici'));
}

export type GiteaAuth =
  { kind: 'basic'; user: string; password: string } | { kind: 'token'; token: string } | { kind: 'none' };

/** Why: Basic auth is required for token endpoints (§A.3) and is not scope-checked. */
export function basic(user: string, password: string): GiteaAuth {
  return { kind: 'basic', user, password };
}

/** Why: token auth for everything else, scope-checked by Gitea (§A.2). */
export function token(value: string): GiteaAuth {
  return { kind: 'token', token: value };
}

export interface GiteaClientOptions {
  /** Gitea's base URL, e.g. http://127.0.0.1:3300 (a sub-path is kept). */
  baseUrl: string;
  auth?: GiteaAuth;
  /** Per-request timeout (GIGI_BOOT_HTTP_TIMEOUT). */
  timeoutMs?: number;
  /** Extra values to keep out of error messages (e.g. the webhook secret we send). */
  secrets?: readonly string[];
}

export interface CallOptions {
  query?: Record<string, string | number>;
  body?: unknown;
  signal?: AbortSignal;
}

function hintFor(status: number, message: string, auth: GiteaAuth): string | undefined {
  if (status === 401) {
    if (auth.kind === 'basic')
      return `The stored admin password no longer matches Gitea's for user "${auth.user}": with the internal Gitea run \`gigi-boot reset --from createUsers\` (createUsers resets the passwords it saved, with no secret on a command line); with an external Gitea (GITEA_URL) set ADMIN_PASSWORD to the admin's current password.`;
    if (auth.kind === 'token')
      return 'The stored API token was revoked or is wrong: let boot recreate it (delete it from the config table) or create one in Gitea.';
    return 'This Gitea endpoint needs authentication.';
  }
  if (status === 403) {
    if (/must change your password/i.test(message))
      return 'The account is flagged must-change-password: clear it with "gitea admin user must-change-password --unset <user>".';
    if (/required scope/i.test(message))
      return 'The token lacks the scope named above: recreate it with that scope.';
    if (/site admin/i.test(message)) return 'The account used is not a Gitea site admin.';
    return 'Gitea refused the call for this account.';
  }
  if (status === 404) return 'Gitea has no such object (or this account cannot see it).';
  if (status >= 500) return 'Gitea failed internally; the step is retried. See the Gitea log if it persists.';
  if (status === 422 || status === 400) return 'Gitea rejected the request; the message says which field.';
  return `Gitea answered an unexpected ${status}: gigi-boot expects Gitea 1.24 (check GITEA_BIN / GITEA_URL and the Gitea log).`;
}

function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why: one place for auth, timeouts, validation and error mapping of Gitea API calls. */
export class GiteaClient {
  readonly baseUrl: string;
  readonly auth: GiteaAuth;
  private readonly timeoutMs: number;
  private readonly secrets: string[];

  constructor(options: GiteaClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.auth = options.auth ?? { kind: 'none' };
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const authSecrets =
      this.auth.kind === 'basic' ? [this.auth.password] : this.auth.kind === 'token' ? [this.auth.token] : [];
    this.secrets = [...authSecrets, ...(options.secrets ?? [])];
  }

  /** A client for the same Gitea with other credentials. */
  withAuth(auth: GiteaAuth): GiteaClient {
    return new GiteaClient({ baseUrl: this.baseUrl, auth, timeoutMs: this.timeoutMs, secrets: this.secrets });
  }

  /** The same client, also keeping `extra` values out of its error messages. */
  withSecrets(extra: readonly string[]): GiteaClient {
    return new GiteaClient({
      baseUrl: this.baseUrl,
      auth: this.auth,
      timeoutMs: this.timeoutMs,
      secrets: [...this.secrets, ...extra],
    });
  }

  private redact(text: string): string {
    return redactValues(text, this.secrets);
  }

  private headers(hasBody: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (hasBody) headers['content-type'] = 'application/json';
    if (this.auth.kind === 'basic')
      headers.authorization = `Basic ${Buffer.from(`${this.auth.user}:${this.auth.password}`).toString('base64')}`;
    else if (this.auth.kind === 'token') headers.authorization = `token ${this.auth.token}`;
    return headers;
  }

  private error(
    method: string,
    path: string,
    status: number | undefined,
    text: string,
    options: { transient: boolean; hint?: string; cause?: unknown },
  ): GiteaApiError {
    const where = `${method} ${this.baseUrl}/api/v1${path}`;
    return new GiteaApiError(
      {
        method,
        path,
        ...(status !== undefined ? { status } : {}),
        message: this.redact(`${where} ${status !== undefined ? `answered ${status}` : 'failed'}: ${text}`),
      },
      {
        transient: options.transient,
        ...(options.hint ? { hint: this.redact(options.hint) } : {}),
        ...(options.cause ? { cause: options.cause } : {}),
      },
    );
  }

  /** Why: the raw call: 2xx → parsed JSON body (or undefined for 204); anything else → GiteaApiError. */
  async call(
    method: string,
    path: string,
    options: CallOptions = {},
  ): Promise<{ status: number; json: unknown }> {
    options.signal?.throwIfAborted();
    const url = new URL(`${this.baseUrl}/api/v1${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, String(value));
    const shownPath = `${path}${url.search}`;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const { request } = await preloadHttpClient();
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: method as 'GET',
        headers: this.headers(options.body !== undefined),
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
        signal,
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted)
        throw this.error(method, shownPath, undefined, `no answer within ${this.timeoutMs} ms`, {
          transient: true,
          hint: 'Gitea is slow or hung; raise GIGI_BOOT_HTTP_TIMEOUT if it is just slow.',
          cause: error,
        });
      const code = networkCode(error) ?? 'network error';
      throw this.error(method, shownPath, undefined, `${code} (${(error as Error).message})`, {
        transient: true,
        hint: code === 'ECONNREFUSED' ? 'Gitea is not listening (yet) on that address.' : undefined,
        cause: error,
      });
    }

    let json: unknown;
    let parsed = true;
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch {
        parsed = false;
      }
    }
    if (status >= 200 && status < 300) {
      if (!parsed)
        throw this.error(method, shownPath, status, 'the body is not JSON', {
          transient: false,
          hint: 'Is the URL pointing at Gitea (and not at a proxy or another app)?',
        });
      return { status, json };
    }
    const body = ErrorBodySchema.safeParse(json);
    const message =
      body.success && body.data.message ? body.data.message : parsed ? '(no message)' : text.slice(0, 200);
    throw this.error(method, shownPath, status, message, {
      transient: status >= 500 || status === 429,
      hint: hintFor(status, message, this.auth),
    });
  }

  /** Why: a call whose 2xx body must match `schema` (validated here, at the boundary). */
  async json<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: CallOptions = {},
  ): Promise<z.infer<S>> {
    const { status, json } = await this.call(method, path, options);
    const result = schema.safeParse(json);
    if (!result.success) {
      // Issue paths and messages only: values could be secrets (a token's sha1).
      const issues = result.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; ');
      throw this.error(method, path, status, `unexpected answer shape: ${issues}`, {
        transient: false,
        hint: 'gigi-boot expects Gitea 1.24: check the Gitea version and that the URL points at Gitea.',
      });
    }
    return result.data;
  }

  get<S extends z.ZodType>(path: string, schema: S, options: CallOptions = {}): Promise<z.infer<S>> {
    return this.json('GET', path, schema, options);
  }
}

export interface WaitForApiOptions {
  baseUrl: string;
  /** Overall deadline (GIGI_BOOT_GITEA_READY_TIMEOUT). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called between polls; throw to stop waiting (e.g. the temporary Gitea died). */
  checkAlive?: () => Promise<void>;
  requestTimeoutMs?: number;
  /** Only needed for an external Gitea with REQUIRE_SIGNIN_VIEW (anonymous calls get 403). */
  auth?: GiteaAuth;
}

/** Why: `/api/v1/version` answering 200 means Gitea finished initialising (§C.1). */
export async function waitForApi(options: WaitForApiOptions): Promise<{ version: string }> {
  const client = new GiteaClient({
    baseUrl: options.baseUrl,
    ...(options.auth ? { auth: options.auth } : {}),
    timeoutMs: Math.min(options.requestTimeoutMs ?? 5_000, Math.max(options.timeoutMs, 100)),
  });
  const deadline = Date.now() + options.timeoutMs;
  // Short first polls: an internal Gitea is already listening (startGitea waited for its socket),
  // so its API answers within one or two of them; an external one backs off to 500 ms.
  let delay = 25;
  let last: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      return await client.get('/version', VersionSchema, options.signal ? { signal: options.signal } : {});
    } catch (error) {
      if (options.signal?.aborted) throw error;
      // 404: install mode has no /api/v1 yet (§G.3); keep waiting until the deadline.
      if (isBootError(error) && !error.transient && (error as GiteaApiError).status !== 404) throw error;
      last = error;
    }
    if (options.checkAlive) await options.checkAlive();
    if (Date.now() + delay > deadline) break;
    await sleep(delay, undefined, options.signal ? { signal: options.signal } : {}).catch(
      (error: unknown) => {
        throw options.signal?.aborted ? options.signal.reason : error;
      },
    );
    delay = Math.min(500, Math.round(delay * 1.5));
  }
  const reason = last instanceof Error ? last.message : String(last);
  throw new GiteaApiError(
    {
      method: 'GET',
      path: '/version',
      message: `Gitea at ${client.baseUrl} did not answer GET /api/v1/version within ${options.timeoutMs} ms (last: ${reason})`,
    },
    {
      transient: false,
      hint: 'Check the Gitea log; if Gitea is just slow to start (first start migrates the database), raise GIGI_BOOT_GITEA_READY_TIMEOUT.',
      cause: last,
    },
  );
}
