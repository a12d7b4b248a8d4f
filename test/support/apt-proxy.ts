// An HTTP proxy for apt (and debootstrap) while the AIO test images build: each Debian package
// (`…/pool/…/NAME_VERSION_ARCH.deb`) comes from the host's own apt cache when the host already
// downloaded that exact file (CI installs Chromium, Xvfb, nginx, PostgreSQL… on the host before
// the images are built), else from the archive once, kept in CACHE_DIR for the next build; every
// other request (Release files, indexes) passes through. apt checks each file against the
// signed index's SHA-256, so a wrong file fails the build, it cannot slip in.
//
// Usage: node --import tsx test/support/apt-proxy.ts PORT_FILE CACHE_DIR [HOST_ARCHIVES_DIR…]
// Listens on 127.0.0.1 (a free port, written to PORT_FILE); SIGTERM prints what it served.
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  statSync,
} from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';

const [portFile, cacheDir, ...archiveDirs] = process.argv.slice(2);
if (!portFile || !cacheDir) {
  console.error('usage: apt-proxy.ts PORT_FILE CACHE_DIR [HOST_ARCHIVES_DIR…]');
  process.exit(2);
}
if (archiveDirs.length === 0) archiveDirs.push('/var/cache/apt/archives');
mkdirSync(cacheDir, { recursive: true });

/** apt saves `NAME_EPOCH%3aVERSION_ARCH.deb`; the pool's file name has no epoch. */
function poolName(file: string): string {
  return file.replace(/_[0-9]+%3a/, '_');
}

// The host's cached packages, by the name the archive's pool gives them.
const hostDebs = new Map<string, string>();
for (const dir of archiveDirs) {
  if (!existsSync(dir)) continue;
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.deb')) hostDebs.set(poolName(file), join(dir, file));
  }
}

const served = { host: 0, cache: 0, upstream: 0, passThrough: 0, hostBytes: 0, upstreamBytes: 0 };

/** Files that never change at one URL: packages and by-hash indexes. */
function immutable(path: string): boolean {
  return (/\/pool\//.test(path) && path.endsWith('.deb')) || /\/by-hash\//.test(path);
}

function cachePath(url: URL): string {
  const digest = createHash('sha256').update(`${url.host}${url.pathname}`).digest('hex').slice(0, 16);
  return join(cacheDir!, `${digest}-${basename(url.pathname)}`);
}

function sendFile(res: http.ServerResponse, path: string, head: boolean): number {
  const size = statSync(path).size;
  res.writeHead(200, { 'content-length': size, 'content-type': 'application/octet-stream' });
  if (head) res.end();
  else createReadStream(path).pipe(res);
  return size;
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, url: URL, keep?: string): void {
  const headers: http.OutgoingHttpHeaders = { ...req.headers, host: url.host };
  delete headers['proxy-connection'];
  const upstream = http.request(
    {
      host: url.hostname,
      port: url.port || 80,
      path: url.pathname + url.search,
      method: req.method,
      headers,
    },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      if (keep && up.statusCode === 200 && req.method === 'GET') {
        const temp = `${keep}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
        const file = createWriteStream(temp);
        up.pipe(file);
        file.on('finish', () => {
          if (up.complete) renameSync(temp, keep);
          else void rm(temp, { force: true });
        });
      }
      up.on('data', (chunk: Buffer) => (served.upstreamBytes += chunk.length));
      up.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`apt-proxy: ${url.host}: ${error.message}\n`);
  });
  req.pipe(upstream);
}

const server = http.createServer((req, res) => {
  let url: URL;
  try {
    url = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end('apt-proxy: expected an absolute http:// URL (use me as http_proxy)\n');
    return;
  }
  const head = req.method === 'HEAD';
  if (url.protocol !== 'http:' || (req.method !== 'GET' && !head)) {
    res.writeHead(405).end('apt-proxy: only GET/HEAD of http:// URLs\n');
    return;
  }
  if (!immutable(url.pathname)) {
    served.passThrough++;
    forward(req, res, url);
    return;
  }
  // apt asks for `xvfb_21.1.7-3%2bdeb12u13_amd64.deb`; the file on disk has a literal `+`.
  const file = decodeURIComponent(basename(url.pathname));
  const host = file.endsWith('.deb') ? hostDebs.get(file) : undefined;
  if (host) {
    served.host++;
    served.hostBytes += sendFile(res, host, head);
    return;
  }
  const cached = cachePath(url);
  if (existsSync(cached)) {
    served.cache++;
    sendFile(res, cached, head);
    return;
  }
  served.upstream++;
  console.error(`apt-proxy: downloading ${url.href}`);
  forward(req, res, url, cached);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') void writeFile(portFile, `${address.port}\n`);
});

process.on('SIGTERM', () => {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  console.error(
    `apt-proxy: ${served.host} packages from the host's apt cache (${mb(served.hostBytes)}), ` +
      `${served.cache} from the proxy's cache, ${served.upstream} downloaded, ` +
      `${served.passThrough} index requests passed through; ${mb(served.upstreamBytes)} from the archive`,
  );
  server.close();
  process.exit(0);
});
