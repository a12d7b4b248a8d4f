// The critical path and the timeline of a boot whose runner-worker image build outlasts the
// Gitea region, with the real Docker engine and the real `gigi-boot run` (Postgres, the Gitea
// simulator): the build is held by an HTTP gate the test opens only once the Gitea region has
// finished (no sleeps), so the build is the step that finishes last. `inspect --critical-path`
// and `--json` name it; `visualize`'s page, in Chromium, draws both regions as bars side by side
// with the build's on the critical path (a screenshot under test-output/visualizer/), and a
// volume that never booted as the machine with no run and no timeline.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { cleanupContexts, dockerBootEnv, makeContext, requireEngine } from '../docker/helpers.ts';
import { bootEnv, REPO_ROOT, runCli, startCli } from '../support/boot-process.ts';
import { CHROMIUM_BIN, HEADLESS_CHROMIUM_FLAGS } from '../support/chromium.ts';
import { queryRows } from '../support/postgres.ts';

const SHOTS = join(REPO_ROOT, 'test-output', 'visualizer');

/** An HTTP gate: requests wait until `open()`; later ones are answered at once. */
class Gate {
  #waiting: ServerResponse[] = [];
  #open = false;
  readonly server: Server = createServer((_req, res) => {
    if (this.#open) res.writeHead(200).end('gate\n');
    else this.#waiting.push(res);
  });

  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  open(): void {
    this.#open = true;
    for (const res of this.#waiting.splice(0)) res.writeHead(200).end('gate\n');
  }

  close(): void {
    this.open();
    this.server.closeAllConnections();
    this.server.close();
  }
}

let browser: Browser;
const gate = new Gate();

beforeAll(async () => {
  await requireEngine();
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM_BIN, args: [...HEADLESS_CHROMIUM_FLAGS] });
});

afterAll(async () => {
  gate.close();
  await browser?.close();
  await cleanupContexts();
});

async function journalSteps(databaseUrl: string): Promise<string[]> {
  const rows = await queryRows<{ step: string }>(
    databaseUrl,
    "select step from gigi_boot_journal where outcome = 'ok' order by id",
  );
  return rows.map((r) => r.step);
}

interface Report {
  run: { status: string };
  criticalPath: Array<{ step: string; spanMs: number }>;
}

describe('a boot whose image build outlasts the Gitea region', () => {
  it('the critical path names the build; the page draws both regions side by side, the build outlined', async () => {
    const url = await gate.listen();
    const context = makeContext([`RUN ["/bin/busybox", "wget", "-q", "-O", "/gate", "${url}"]`]);
    const { env, databaseUrl } = await dockerBootEnv(context, {
      prefix: 'critical',
      extra: {
        GIGI_BOOT_RUNNER_NETWORK: 'host',
        GIGI_BOOT_STEP_ATTEMPTS: '1',
        CHROME_CDP_URL: 'http://chrome.example:9222',
      },
    });
    const boot = startCli(['run', '--no-handoff'], env);
    // The Gitea region is done (its last step journaled) while the build waits at the gate.
    await expect
      .poll(async () => (await journalSteps(databaseUrl)).includes('handOff'), {
        timeout: 180_000,
        interval: 200,
      })
      .toBe(true);
    expect(await journalSteps(databaseUrl)).not.toContain('buildRunnerWorker');
    gate.open();
    const result = await boot.done;
    expect(result.code, result.stderr).toBe(EXIT.ok);

    const report = JSON.parse((await runCli(['inspect', '--json'], env)).stdout) as Report;
    expect(report.run.status).toBe('completed');
    expect(report.criticalPath.map((l) => l.step)).toEqual([
      'detectModes',
      'prepareSecrets',
      'buildRunnerWorker',
    ]);
    const text = await runCli(['inspect', '--critical-path'], env);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toMatch(
      /Critical path.*\n {2}detectModes @.*\n {2}└─prepareSecrets @.*\n {4}└─buildRunnerWorker @/,
    );

    const out = join(mkdtempSync(join(tmpdir(), 'gigi-critical-')), 'boot.html');
    expect((await runCli(['visualize', '--out', out], env)).code).toBe(EXIT.ok);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1400 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(out).href);
    // A string expression: this project compiles without the DOM lib.
    const bars = await page.evaluate<Record<string, { x: number; right: number; critical: boolean }>>(`
      Object.fromEntries([...document.querySelectorAll('#timeline-svg g.gantt-row')].map((g) => {
        const rects = [...g.querySelectorAll('rect.gantt-bar')];
        const x = Math.min(...rects.map((r) => Number(r.getAttribute('x'))));
        const right = Math.max(...rects.map((r) => Number(r.getAttribute('x')) + Number(r.getAttribute('width'))));
        return [g.dataset.step, { x, right, critical: g.classList.contains('critical') }];
      }))`);
    expect(Object.keys(bars)).toEqual(
      expect.arrayContaining(['writeAppIni', 'handOff', 'buildRunnerWorker']),
    );
    // Side by side: the build's bar spans the Gitea region's first and last steps.
    expect(bars.buildRunnerWorker!.x).toBeLessThanOrEqual(bars.writeAppIni!.x + 1);
    expect(bars.buildRunnerWorker!.right).toBeGreaterThan(bars.handOff!.right);
    expect(bars.buildRunnerWorker!.critical).toBe(true);
    expect(bars.handOff!.critical).toBe(false);
    expect(await page.textContent('#critical-path')).toContain(
      'detectModes → prepareSecrets → buildRunnerWorker',
    );
    expect(requests.every((r) => r.startsWith('file:') || r.startsWith('data:'))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'timeline-build-outlasts-gitea.png'), fullPage: true });
    await page.close();
  }, 400_000);

  it('a volume that never booted: the machine drawn, no run, no timeline, nothing fetched', async () => {
    const env = await bootEnv();
    env.GIGI_DATA_DIR = join(env.GIGI_DATA_DIR!, 'not-yet');
    const out = join(mkdtempSync(join(tmpdir(), 'gigi-never-')), 'never.html');
    const result = await runCli(['visualize', '--out', out], env);
    expect(result.code, result.stderr).toBe(EXIT.ok);
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(out).href);
    expect(await page.getAttribute('#run-status', 'data-status')).toBe('none');
    expect(await page.textContent('#run-status')).toBe('no boot recorded');
    expect(await page.locator('#graph g.state').count()).toBeGreaterThan(10);
    expect(await page.textContent('#timeline-empty')).toContain('no step of a run is recorded');
    expect(requests.every((r) => r.startsWith('file:') || r.startsWith('data:'))).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'never-booted.png'), fullPage: true });
    await page.close();
  }, 120_000);
});
