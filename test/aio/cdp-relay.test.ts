// aio/cdp-proxy.conf with real nginx in front of a real (headless) Chromium: a CDP client that
// only knows the relay's address gets WebSocket URLs that lead back through the relay, and
// playwright-core's connectOverCDP opens and drives a page through it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aioDir } from '../../src/supervisor/paths.ts';
import { CDP_RELAY_PORT, CHROME_DEBUG_PORT } from '../../src/supervisor/programs.ts';
import { stopProcessGroup, waitForHttp } from '../support/aio-processes.ts';
import { HEADLESS_CHROMIUM_FLAGS } from '../support/chromium.ts';

const RELAY = `http://127.0.0.1:${CDP_RELAY_PORT}`;
let dir: string;
const children: ChildProcess[] = [];

function start(file: string, args: string[], log: string): ChildProcess {
  const out = openSync(join(dir, log), 'a');
  const child = spawn(file, args, { stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  children.push(child);
  return child;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gigi-aio-relay-'));
  start(
    'chromium',
    [
      ...HEADLESS_CHROMIUM_FLAGS,
      `--remote-debugging-port=${CHROME_DEBUG_PORT}`,
      `--user-data-dir=${join(dir, 'profile')}`,
    ],
    'chromium.log',
  );
  start(
    'nginx',
    ['-c', join(aioDir(), 'cdp-proxy.conf'), '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`],
    'nginx.log',
  );
  await waitForHttp(`http://127.0.0.1:${CHROME_DEBUG_PORT}/json/version`, 30_000, () =>
    readFileSync(join(dir, 'chromium.log'), 'utf8'),
  );
  await waitForHttp(`${RELAY}/json/version`, 15_000, () => readFileSync(join(dir, 'nginx.log'), 'utf8'));
});

afterAll(async () => {
  for (const child of children) await stopProcessGroup(child, 5_000);
  rmSync(dir, { recursive: true, force: true });
});

describe('the CDP relay (nginx :9223 → Chromium 127.0.0.1:9222)', () => {
  it('rewrites /json/version to come back through the relay, for the host the client used', async () => {
    const direct = (await (await fetch(`http://127.0.0.1:${CHROME_DEBUG_PORT}/json/version`)).json()) as {
      webSocketDebuggerUrl: string;
    };
    expect(direct.webSocketDebuggerUrl).toMatch(/^ws:\/\/127\.0\.0\.1:9222\/devtools\/browser\//);
    const viaRelay = (await (await fetch(`${RELAY}/json/version`)).json()) as {
      webSocketDebuggerUrl: string;
    };
    expect(viaRelay.webSocketDebuggerUrl).toBe(direct.webSocketDebuggerUrl.replace(':9222/', ':9223/'));
  });

  it("answers a Host Chrome itself refuses (another container's name) and rewrites /json/list", async () => {
    const headers = { Host: `gigi.example:${CDP_RELAY_PORT}` };
    // undici's request, not fetch: fetch drops a Host header.
    const refused = await request(`http://127.0.0.1:${CHROME_DEBUG_PORT}/json/list`, { headers });
    expect(refused.statusCode).toBe(500);
    expect(await refused.body.text()).toContain('not an IP address or localhost');
    const res = await request(`${RELAY}/json/list`, { headers });
    expect(res.statusCode).toBe(200);
    const targets = (await res.body.json()) as {
      webSocketDebuggerUrl?: string;
      devtoolsFrontendUrl?: string;
    }[];
    expect(targets.length).toBeGreaterThan(0);
    for (const t of targets) {
      expect(t.webSocketDebuggerUrl).toMatch(/^ws:\/\/gigi\.example:9223\/devtools\/page\//);
      expect(t.devtoolsFrontendUrl ?? '').not.toContain('127.0.0.1:9222');
    }
  });

  it('playwright-core connectOverCDP through the relay opens and drives a page', async () => {
    const browser = await chromium.connectOverCDP(RELAY, { timeout: 30_000 });
    try {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      await page.setContent('<title>relayed</title><p id="x">through nginx</p>');
      expect(await page.title()).toBe('relayed');
      expect(await page.textContent('#x')).toBe('through nginx');
      expect(await page.evaluate('1 + 1')).toBe(2);
      // The page is a real target in the Chromium behind the relay.
      const list = (await (await fetch(`http://127.0.0.1:${CHROME_DEBUG_PORT}/json/list`)).json()) as {
        title: string;
      }[];
      expect(list.map((t) => t.title)).toContain('relayed');
      await page.close();
    } finally {
      await browser.close();
    }
  });
});
