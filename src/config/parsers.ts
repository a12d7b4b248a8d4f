// The parsers of single settings, one per kind of value (paths, URLs, numbers, durations, free
// text, …): each takes the raw string and zod's refinement context and returns the normalized
// value, or reports one issue naming what is expected and showing what was given (escaped,
// bounded, never a password). Named after the value they accept, so the schema reads as a table.
import { isIP } from 'node:net';
import path from 'node:path';
import * as z from 'zod';
import { isImageRepository } from '../docker/image-name.ts';
import { MAX_TIMER_MS, parseDuration } from './duration.ts';
import { FAILPOINTS_SYNTAX, parseFailpoints, type Failpoints } from './failpoints.ts';

export type Ctx = z.core.$RefinementCtx<unknown>;

const MAX_SHOWN = 80;

// Why: error messages show what was given, escaped (newlines stay on one line) and bounded.
export function showValue(value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value);
}

// URLs may carry user:password@; never show that part.
function showUrl(value: string): string {
  return showValue(value.replace(/\/\/[^/?#]*@/, '//***@'));
}

// Why: one issue per bad value, in the message the operator reads after the variable's name.
export function fail(ctx: Ctx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
}

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

// Why: paths are joined and compared later; `/data/` and `/data` must be one volume.
export function absolutePath(value: string, ctx: Ctx): string {
  if (CONTROL_CHARS.test(value) || !path.posix.isAbsolute(value)) {
    return fail(
      ctx,
      `expected an absolute path (starting with "/", no control characters), got ${showValue(value)}`,
    );
  }
  const normalized = path.posix.normalize(value);
  return normalized.length > 1 ? normalized.replace(/\/+$/, '') : normalized;
}

// Why: a URL Gitea or the app will call; a base URL (`baseOnly`) gets paths appended, so no query.
export function url(protocols: readonly string[], options: { baseOnly?: boolean } = {}) {
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

// Why: the URL may hold a password, so no message shows it; pg itself parses the rest.
export function postgresUrl(value: string | undefined, ctx: Ctx): string | undefined {
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

// Why: Gitea's HTTP_ADDR takes an address, not a host name.
export function ipAddress(value: string, ctx: Ctx): string {
  return isIP(value) === 0
    ? fail(ctx, `expected an IPv4 or IPv6 address such as 0.0.0.0 or 127.0.0.1, got ${showValue(value)}`)
    : value;
}

// Why: ports and counts are whole numbers in a range; `1e3` or `8080.0` are typos.
export function integer(min: number, max: number, what: string) {
  return (value: string, ctx: Ctx): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      return fail(ctx, `expected ${what} ${min}-${max}, got ${showValue(value)}`);
    }
    return n;
  };
}

// Why: timeouts as an operator writes them (30s, 2m); above MAX_TIMER_MS a Node timer fires at once.
export function duration(minMs: number) {
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

// The app shows the browser view at this address: an absolute http(s) URL, or a path on the
// app's own origin behind the reverse proxy (the bash entrypoint's default `/browser/`).
export function browserViewUrl(value: string, ctx: Ctx): string {
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

// Why: values passed on verbatim (to the app, to Docker) must be one trimmed line.
export function freeText(value: string | undefined, ctx: Ctx): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '' || CONTROL_CHARS.test(trimmed)) {
    return fail(ctx, `expected a non-blank single-line value, got ${showValue(value)}`);
  }
  return trimmed;
}

// Why: gigi-boot adds the tags itself (:latest, :ctx-<hash>).
export function imageName(value: string, ctx: Ctx): string {
  if (!isImageRepository(value))
    fail(ctx, `expected an image repository without a tag, e.g. gigi/runner-worker, got ${showValue(value)}`);
  return value;
}

// Why: build args come as one variable, KEY=VALUE,KEY=VALUE, like the seed's compose files.
export function buildArgs(value: string | undefined, ctx: Ctx): Record<string, string> {
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

// Why: the failpoint grammar lives in failpoints.ts; this only turns its complaint into an issue.
export function failpoints(value: string | undefined, ctx: Ctx): Failpoints {
  if (value === undefined) return {};
  const parsed = parseFailpoints(value);
  if (typeof parsed === 'string') return fail(ctx, `expected ${FAILPOINTS_SYNTAX}; ${parsed}`);
  return parsed;
}

/** An optional variable: unset stays undefined, a value goes through `parse`. */
export const optionalOf =
  <T>(parse: (value: string, ctx: Ctx) => T) =>
  (value: string | undefined, ctx: Ctx): T | undefined =>
    value === undefined ? undefined : parse(value, ctx);
/** A value taken as given (tokens: any byte may matter). */
export const verbatim = (value: string | undefined) => value;
