// A tiny fetch wrapper for the simulator tests: records every /api/v1 response so each can be
// validated against openapi-subset.json.
import { validateResponse } from './openapi-validator.ts';

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

export type Credentials = { basic: [string, string] } | { token: string } | { header: string } | undefined;

export interface RequestOptions {
  auth?: Credentials;
  json?: unknown;
  body?: string;
  contentType?: string | null;
}

export class ApiClient {
  readonly problems: string[] = [];

  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = {};
    const auth = opts.auth;
    if (auth && 'basic' in auth)
      headers.authorization = `Basic ${Buffer.from(auth.basic.join(':')).toString('base64')}`;
    if (auth && 'token' in auth) headers.authorization = `token ${auth.token}`;
    if (auth && 'header' in auth) headers.authorization = auth.header;
    let body: string | undefined = opts.body;
    if (opts.json !== undefined) body = JSON.stringify(opts.json);
    if (body !== undefined && opts.contentType !== null)
      headers['content-type'] = opts.contentType ?? 'application/json';
    // a string body makes fetch add text/plain; bytes let a test send no Content-Type at all
    const payload = body === undefined ? undefined : new TextEncoder().encode(body);
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const normalised = path.replace(/\/{2,}/g, '/');
    for (const p of validateResponse({ method, path: normalised, status: res.status, body: parsed }))
      this.problems.push(p);
    return { status: res.status, headers: res.headers, text, body: parsed };
  }
}
