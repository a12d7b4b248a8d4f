// Gitea's API response conventions (services/context/api.go, base.go): JSON with
// `application/json;charset=utf-8`, HTML-escaped strings, a trailing newline, and the
// error shapes (a) {message,url}, (b) {message,url,errors}, (d) {message}.
import type { ServerResponse } from 'node:http';

/** Thrown by handlers and middleware to end the request with this reply. */
export class HttpReply extends Error {
  constructor(
    readonly status: number,
    readonly body?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** Go's encoding/json with SetEscapeHTML(true). */
export function goJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

export function writeReply(res: ServerResponse, reply: HttpReply): void {
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  if (reply.body === undefined) {
    res.writeHead(reply.status);
    res.end();
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': 'application/json;charset=utf-8' });
  res.end(goJson(reply.body) + '\n');
}

export interface ErrorUrls {
  swaggerUrl: string; // <ROOT>api/swagger
}

/** Shape (a): ctx.APIError(status, msg). */
export function apiError(urls: ErrorUrls, status: number, message: string): HttpReply {
  return new HttpReply(status, { message, url: urls.swaggerUrl });
}

/** Shape (b): ctx.APIErrorNotFound(msg?, errs...). */
export function apiNotFound(
  urls: ErrorUrls,
  message = "The target couldn't be found.",
  errors: string[] | null = null,
): HttpReply {
  return new HttpReply(404, { message, url: urls.swaggerUrl, errors });
}

/** Shape (d): message only, from the global checks. */
export function messageOnly(status: number, message: string): HttpReply {
  return new HttpReply(status, { message });
}
