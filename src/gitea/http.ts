// One HTTP exchange with Gitea on Node's own http/https modules: the status and the body as
// text, ended by the caller's AbortSignal. Node's modules load in a few milliseconds, where an
// HTTP client package costs a first boot more than the rest of its steps' start-up; Gitea's API
// needs nothing more (no redirects, no streaming). Connections are kept alive between calls.
import { Agent, request, type IncomingMessage } from 'node:http';

const httpAgent = new Agent({ keepAlive: true });
let httpsAgent: Agent | undefined;

export interface HttpExchange {
  status: number;
  text: string;
}

/** Why: https is loaded only for an external Gitea that uses it (the temporary one is plain http). */
async function requestFor(url: URL): Promise<{ send: typeof request; agent: Agent }> {
  if (url.protocol !== 'https:') return { send: request, agent: httpAgent };
  const https = await import('node:https');
  httpsAgent ??= new https.Agent({ keepAlive: true });
  return { send: https.request, agent: httpsAgent };
}

/** Why: send one request and read the whole answer; rejects with the network error (its `code`) or the abort. */
export async function exchange(
  url: URL,
  options: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<HttpExchange> {
  const { send, agent } = await requestFor(url);
  const headers = { ...options.headers };
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise<HttpExchange>((resolve, reject) => {
    const req = send(url, { method: options.method, headers, agent, signal: options.signal });
    req.once('error', reject);
    req.once('response', (response: IncomingMessage) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.once('error', reject);
      response.once('end', () =>
        resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.end(options.body);
  });
}
