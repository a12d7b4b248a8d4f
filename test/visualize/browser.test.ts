// The visualizer in a real browser: Debian's Chromium (headless, driven by playwright-core, never
// a downloaded browser) loads the page of a completed, a failed and a running boot — each made
// by the real `gigi-boot run` against real Postgres and the Gitea simulator — checks the DOM
// (every state of the machine drawn, the right ones marked), that the page fetched nothing but
// itself, and saves a screenshot under test-output/visualizer/ (CI keeps it as an artifact).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOOT_STEPS, bootMachine } from '../../machines/boot.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { extractGraph } from '../../src/visualize/graph.ts';
import { bootEnv, REPO_ROOT, runCli, startCli } from '../support/boot-process.ts';
import { testServerUrl } from '../support/env.ts';
import { createTestDatabase } from '../support/postgres.ts';
import { HEADLESS_CHROMIUM_FLAGS } from '../support/chromium.ts';
import { waitFor } from '../support/wait.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(REPO_ROOT, 'test-output', 'visualizer');
const STATE_IDS = extractGraph(bootMachine).states.map((s) => s.id);

let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...HEADLESS_CHROMIUM_FLAGS],
  });
});

afterAll(async () => {
  await browser?.close();
});

async function faultsEnv(rules: unknown[]): Promise<{ env: Record<string, string>; faultsFile: string }> {
  const faultsDir = mkdtempSync(join(tmpdir(), 'gigi-viz-faults-'));
  chmodSync(faultsDir, 0o777); // the simulator (run as gigi) keeps `times` counters next to it
  const faultsFile = join(faultsDir, 'faults.json');
  writeFileSync(faultsFile, JSON.stringify({ rules }), { mode: 0o644 });
  const env = await bootEnv({
    databaseUrl: await createTestDatabase(testServerUrl(), 'viz'),
    extra: { GITEA_SIM_FAULTS: faultsFile, GIGI_BOOT_STEP_ATTEMPTS: '2' },
  });
  return { env, faultsFile };
}

/** Open a URL and record every request the page makes. */
async function open(url: string): Promise<{ page: Page; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url);
  return { page, requests };
}

/** The classes of each state's SVG element, by state id (null when the state is not drawn). */
async function stateClasses(page: Page): Promise<Record<string, string[] | null>> {
  // A string expression: this project compiles without the DOM lib.
  const pairs = await page.evaluate<Array<[string, string | null]>>(
    `${JSON.stringify(STATE_IDS)}.map((id) => [id, document.getElementById('state:' + id)?.getAttribute('class') ?? null])`,
  );
  return Object.fromEntries(pairs.map(([id, c]) => [id, c === null ? null : c.split(/\s+/)]));
}

async function visualizeToFile(env: Record<string, string>, name: string): Promise<string> {
  const out = join(env.GIGI_DATA_DIR!, `${name}.html`);
  const result = await runCli(['visualize', '--out', out], env);
  expect(result.code, result.stderr).toBe(EXIT.ok);
  return out;
}

/** The visualization of env's volume, written to a file and opened: it fetched nothing, drew every state. */
async function openVisualization(env: Record<string, string>, name: string) {
  const url = pathToFileURL(await visualizeToFile(env, name)).href;
  const { page, requests } = await open(url);
  try {
    expect(requests).toEqual([url]);
    const classes = await stateClasses(page);
    for (const id of STATE_IDS) expect(classes[id], `state ${id} drawn`).not.toBeNull();
    return { page, classes };
  } catch (error) {
    await page.close();
    throw error;
  }
}

describe('visualize in Chromium', () => {
  it('a completed boot: every state drawn, every step run is done, the end reached, nothing fetched', async () => {
    const env = await bootEnv({ databaseUrl: await createTestDatabase(testServerUrl(), 'viz') });
    const boot = await runCli(['run', '--no-handoff'], env);
    expect(boot.code, boot.stderr + boot.stdout).toBe(EXIT.ok);
    const { page, classes } = await openVisualization(env, 'completed');
    try {
      expect(await page.getAttribute('#run-status', 'data-status')).toBe('completed');
      expect(classes['boot.done']).toEqual(expect.arrayContaining(['done', 'is-current']));
      expect(classes['boot.failed']).toContain('pending');
      // Internal Gitea: its path is done; the external check was never taken.
      for (const step of BOOT_STEPS.filter((s) => s !== 'checkExternalGitea')) {
        const id = STATE_IDS.find((x) => x.endsWith(`.${step}`))!;
        expect(classes[id], step).toEqual(
          expect.arrayContaining(['step', expect.stringMatching(/^(done|skipped)$/)]),
        );
      }
      expect(classes['boot.provision.gitea.createOrg']).toContain('done');
      expect(classes['boot.provision.gitea.checkExternalGitea']).toContain('skipped');
      // Hovering a step shows its journal rows.
      await page.hover('[id="state:boot.provision.gitea.createUsers"] text');
      expect(await page.textContent('#details-step')).toBe('createUsers');
      expect(await page.locator('#journal-rows tr.journal-row').count()).toBeGreaterThanOrEqual(1);
      await page.screenshot({ path: join(SHOTS, 'completed-boot.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('a failed boot (Gitea answers 418 to POST /api/v1/orgs): createOrg and the end are red and labelled', async () => {
    const { env } = await faultsEnv([
      { method: 'POST', path: '/api/v1/orgs', action: 'status', status: 418, message: 'teapot' },
    ]);
    const boot = await runCli(['run', '--no-handoff'], env);
    expect(boot.code, boot.stderr + boot.stdout).toBe(EXIT.failed);
    const { page, classes } = await openVisualization(env, 'failed');
    try {
      expect(await page.getAttribute('#run-status', 'data-status')).toBe('failed');
      expect(classes['boot.provision.gitea.createOrg']).toContain('failed');
      expect(classes['boot.failed']).toEqual(expect.arrayContaining(['failed', 'is-current']));
      expect(classes['boot.provision.gitea.createTokens']).toContain('done');
      expect(classes['boot.provision.gitea.addOwner']).toContain('pending');
      expect(classes['boot.done']).toContain('pending');
      const failedSteps = Object.entries(classes)
        .filter(([, c]) => c?.includes('step') && c.includes('failed'))
        .map(([id]) => id);
      expect(failedSteps).toEqual(['boot.provision.gitea.createOrg']);
      // Labelled in the drawing and in the banner, and its journal row is shown without a click.
      expect(await page.textContent('[id="state:boot.provision.gitea.createOrg"]')).toContain('FAILED');
      expect(await page.textContent('[id="state:boot.failed"]')).toContain('createOrg');
      expect(await page.textContent('#failure')).toMatch(/Failed at createOrg.*418/s);
      expect(await page.textContent('#details-step')).toBe('createOrg');
      expect(await page.textContent('#journal-rows')).toContain('418');
      const fill = await page.getAttribute('[id="state:boot.provision.gitea.createOrg"] > path', 'fill');
      expect(fill).toBe('#ffd4d4');
      await page.screenshot({ path: join(SHOTS, 'failed-boot.png'), fullPage: true });
    } finally {
      await page.close();
    }
  });

  it('a running boot (killed with SIGKILL in createOrg) served live: current marked, then the resumed boot shows up', async () => {
    const { env, faultsFile } = await faultsEnv([
      { method: 'POST', path: '/api/v1/orgs', action: 'slow', delayMs: 120_000 },
    ]);
    const boot = startCli(['run', '--no-handoff'], env);
    // Wait until the boot's checkpoint says it is in createOrg, then kill it outright.
    await waitFor(
      'the boot to reach createOrg',
      async () => {
        const inspect = await runCli(['inspect', '--json'], env);
        const step = inspect.stdout
          ? (JSON.parse(inspect.stdout) as { run: { currentStep: string | null } | null }).run?.currentStep
          : null;
        if (!step?.includes('createOrg')) throw new Error(`inspect said: ${inspect.stdout}`);
        return true;
      },
      { timeout: 120_000, interval: 300 },
    );
    boot.child.kill('SIGKILL');
    await boot.done;

    const server = startCli(['visualize', '--serve', '--port', '0'], env);
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /serving (http:\/\/\S+)/.exec(out);
          if (m) resolve(m[1]!);
        });
        void server.done.then((r) => reject(new Error(`visualize --serve exited: ${r.stderr}`)));
      });
      const { page, requests } = await open(url);
      try {
        await page.waitForSelector('body[data-connected="true"]');
        const classes = await stateClasses(page);
        for (const id of STATE_IDS) expect(classes[id], `state ${id} drawn`).not.toBeNull();
        expect(await page.getAttribute('#run-status', 'data-status')).toBe('running');
        expect(classes['boot.provision.gitea.createOrg']).toContain('current');
        expect(classes['boot.provision.gitea.createOrg.run']).toContain('is-current');
        expect(classes['boot.provision.gitea.createTokens']).toContain('done');
        expect(classes['boot.provision.gitea.addOwner']).toContain('pending');
        await page.screenshot({ path: join(SHOTS, 'running-boot.png'), fullPage: true });

        // Live: the Gitea recovers, the boot resumes and completes; the open page follows.
        writeFileSync(faultsFile, JSON.stringify({ rules: [] }));
        const resumed = await runCli(['run', '--no-handoff'], env);
        expect(resumed.code, resumed.stderr + resumed.stdout).toBe(EXIT.ok);
        await page.waitForSelector('#run-status[data-status="completed"]', { timeout: 30_000 });
        const after = await stateClasses(page);
        expect(after['boot.provision.gitea.createOrg']).toContain('done');
        expect(after['boot.done']).toContain('done');
        await page.screenshot({ path: join(SHOTS, 'running-boot-then-completed.png'), fullPage: true });
        // Only the page and its own event stream, same origin.
        const origin = new URL(url).origin;
        expect(requests.every((r) => r.startsWith(origin))).toBe(true);
        expect([...new Set(requests.map((r) => new URL(r).pathname))].sort()).toEqual(['/', '/events']);
      } finally {
        await page.close();
      }
    } finally {
      server.child.kill('SIGTERM');
      const ended = await server.done;
      expect(ended.code, ended.stderr).toBe(EXIT.ok);
    }
  });
});
