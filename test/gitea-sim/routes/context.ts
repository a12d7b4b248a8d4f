// The per-request context handed to API handlers.
import type { IncomingMessage } from 'node:http';
import type { AuthResult } from '../auth.ts';
import type { ErrorUrls } from '../respond.ts';
import type { Settings } from '../settings.ts';
import type { DbState, StateStore } from '../state-store.ts';

export interface ApiContext {
  req: IncomingMessage;
  settings: Settings;
  store: StateStore;
  state: DbState; // read at the start of the request
  auth: AuthResult;
  urls: ErrorUrls;
  params: Record<string, string>;
  query: URLSearchParams;
}

export type Handler = (
  ctx: ApiContext,
) => Promise<import('../respond.ts').HttpReply> | import('../respond.ts').HttpReply;

/** Gitea's page/limit handling: default 30, max 50, 1-based pages. */
export function paginate<T>(items: T[], query: URLSearchParams): T[] {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  let limit = Number.parseInt(query.get('limit') ?? '0', 10) || 30;
  if (limit <= 0) limit = 30;
  limit = Math.min(limit, 50);
  return items.slice((page - 1) * limit, page * limit);
}

/** Go time.Time as RFC3339 (UTC). */
export function rfc3339(unix: number): string {
  if (unix === 0) return '0001-01-01T00:00:00Z';
  return new Date(unix * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
