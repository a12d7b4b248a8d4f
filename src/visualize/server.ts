// `visualize --serve`: the page on localhost, kept live while a boot runs. Each committed
// checkpoint NOTIFYs (store.onProgress); the server re-reads the run, and when the view changed
// pushes it to every open page over server-sent events. A slow poll backs NOTIFY up (PGlite
// cannot notify across processes; a dropped LISTEN connection must not freeze the page).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors.ts';
import { renderHtml, type View } from './html.ts';

export interface VisualizerServerOptions {
  port: number;
  host?: string;
  /** Render the current state of the boot. */
  read: () => Promise<View>;
  /** Call onChange whenever the boot may have moved (e.g. store.onProgress); returns a stop function. */
  subscribe?: (onChange: () => void) => Promise<() => Promise<void>>;
  /** Re-read this often while a page is open, NOTIFY or not. */
  pollMs?: number;
  /** A refresh failed (store away for a moment): the page keeps the last view. */
  onError?: (error: unknown) => void;
}

export interface VisualizerServer {
  url: string;
  close(): Promise<void>;
}

/** Why: an operator watches a boot from a browser without anything leaving the box. */
export async function startVisualizerServer(options: VisualizerServerOptions): Promise<VisualizerServer> {
  const { port, host = '127.0.0.1', read, subscribe, pollMs = 2000, onError = () => {} } = options;
  const clients = new Set<ServerResponse>();
  let last: { view: View; json: string } | null = null;
  let refreshing: Promise<void> | null = null;
  let again = false;

  const load = async () => {
    const view = await read();
    const json = JSON.stringify(view);
    const changed = json !== last?.json;
    last = { view, json };
    if (changed) for (const client of clients) client.write(`data: ${json}\n\n`);
  };
  /** One read at a time; a change during a read causes one more read after it. */
  const refresh = (): Promise<void> => {
    if (refreshing) {
      again = true;
      return refreshing;
    }
    refreshing = load()
      .catch(onError)
      .finally(() => {
        refreshing = null;
        if (again) {
          again = false;
          void refresh();
        }
      });
    return refreshing;
  };
  const current = async (): Promise<{ view: View; json: string }> => {
    if (!last) await load();
    return last!;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end('method not allowed\n');
      return;
    }
    if (path === '/') {
      const { view } = await current();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(renderHtml(view, { live: true }));
    } else if (path === '/view.json') {
      const { json } = await current();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(json);
    } else if (path === '/events') {
      const { json } = await current();
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`retry: 2000\ndata: ${json}\n\n`);
      clients.add(res);
      req.on('close', () => clients.delete(res));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /\n');
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`gigi-boot visualize could not read the boot: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new ConfigError([
              `--port ${port}: cannot listen on ${host}:${port} (${error.code}); pick a free port, e.g. --port 0 for any`,
            ])
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });

  const stopSubscription = subscribe ? await subscribe(() => void refresh()) : null;
  const poll = setInterval(() => {
    if (clients.size > 0) void refresh();
  }, pollMs);
  const heartbeat = setInterval(() => {
    for (const client of clients) client.write(': keep-alive\n\n');
  }, 15_000);

  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    async close() {
      clearInterval(poll);
      clearInterval(heartbeat);
      for (const client of clients) client.end();
      clients.clear();
      await stopSubscription?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await refreshing;
    },
  };
}
