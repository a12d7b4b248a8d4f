// The apt proxy the AIO image builds use (test/support/apt-proxy.ts): a package the host's apt
// already downloaded is served from its cache under the name apt asks for (no epoch, `+` sent
// as %2b), byte for byte; what is not a package request through a proxy is refused.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/boot-process.ts';
import { waitFor } from '../support/wait.ts';

let dir: string;
let proxy: ChildProcess;
let port: number;

/** One request through the proxy: the absolute URL in the request line, as apt sends it. */
function viaProxy(url: string, method = 'GET'): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: url, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gigi-apt-proxy-'));
  const archives = join(dir, 'archives');
  mkdirSync(archives);
  // As apt stores them: epoch as %3a, `+` literal.
  writeFileSync(join(archives, 'xvfb_2%3a21.1.7-3+deb12u13_amd64.deb'), 'xvfb package bytes');
  writeFileSync(join(archives, 'tini_0.19.0-1+b3_amd64.deb'), 'tini package bytes');
  const portFile = join(dir, 'port');
  proxy = spawn(
    process.execPath,
    ['--import', 'tsx', join(REPO_ROOT, 'test/support/apt-proxy.ts'), portFile, join(dir, 'cache'), archives],
    { cwd: REPO_ROOT, stdio: 'ignore' },
  );
  port = Number(
    await waitFor(
      'apt-proxy to write its port',
      () => existsSync(portFile) && readFileSync(portFile, 'utf8').trim(),
      {
        timeout: 30_000,
        interval: 50,
      },
    ),
  );
});

afterAll(() => {
  proxy?.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

describe('apt-proxy', () => {
  it("serves a package from the host's apt cache under the archive's name for it", async () => {
    const xvfb = await viaProxy(
      'http://deb.debian.org/debian-security/pool/updates/main/x/xorg-server/xvfb_21.1.7-3%2bdeb12u13_amd64.deb',
    );
    expect(xvfb.status).toBe(200);
    expect(xvfb.body.toString()).toBe('xvfb package bytes');
    const tini = await viaProxy('http://deb.debian.org/debian/pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb');
    expect(tini.body.toString()).toBe('tini package bytes');
    const head = await viaProxy(
      'http://deb.debian.org/debian/pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb',
      'HEAD',
    );
    expect(head.status).toBe(200);
  });

  it('refuses what apt never sends a proxy', async () => {
    expect((await viaProxy('/debian/pool/main/t/tini/tini_0.19.0-1+b3_amd64.deb')).status).toBe(400);
    expect((await viaProxy('http://deb.debian.org/debian/pool/x.deb', 'POST')).status).toBe(405);
  });
});
