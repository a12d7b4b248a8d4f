// Real supervisord on a config rendered by gigi-boot, started through gigi-boot's real hand-off
// process: programs (small commands standing in for the AIO's) come up RUNNING with the env and
// user the renderer gave them, a program that gives up is FATAL and visible (listener line,
// marker file, failing health check), and SIGTERM to the hand-off stops everything in time.
import { type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { aioDir, supervisorPaths } from '../../src/supervisor/paths.ts';
import type { Program } from '../../src/supervisor/programs.ts';
import { renderSupervisordConf } from '../../src/supervisor/render.ts';
import { waitFor } from '../support/wait.ts';
import { exec, spawnHandOff, supervisorStates } from '../support/aio-processes.ts';

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dataDir: string;
  conf: string;
}

const started: Running[] = [];
afterEach(async () => {
  for (const r of started.splice(0)) {
    if (r.child.exitCode === null && r.child.signalCode === null) {
      r.child.kill('SIGKILL');
      await exec('supervisorctl', ['-c', r.conf, 'shutdown']).catch(() => undefined);
    }
    rmSync(r.dataDir, { recursive: true, force: true });
  }
});

/** Render `programs` (plus the real fatal listener) into a fresh volume and hand off to them. */
function handOff(programs: Program[], env: Record<string, string> = {}): Running {
  const dataDir = mkdtempSync(join(tmpdir(), 'gigi-aio-supervisord-'));
  chmodSync(dataDir, 0o755);
  const paths = supervisorPaths({ dataDir });
  mkdirSync(join(dataDir, 'gigi-boot'), { recursive: true });
  const listener: Program = {
    name: 'fatal-listener',
    command: `python3 ${aioDir()}/fatal-listener.py`,
    environment: { GIGI_FATAL_FILE: paths.fatalFile },
    priority: 1,
    events: ['PROCESS_STATE_FATAL'],
    logToConsole: true,
  };
  const text = renderSupervisordConf([listener, ...programs], {
    logDir: paths.logDir,
    socketPath: paths.socketPath,
    pidFile: paths.pidFile,
    runsAsRoot: true,
  });
  writeFileSync(paths.confFile, text);
  const outFile = join(dataDir, 'container.log');
  const child = spawnHandOff(
    { PATH: process.env.PATH ?? '/usr/bin:/bin', GIGI_DATA_DIR: dataDir, ...env },
    outFile,
  );
  const output = () => readFileSync(outFile, 'utf8');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const running = { child, output, exited, dataDir, conf: paths.confFile };
  started.push(running);
  return running;
}

const status = supervisorStates;

const unique = () => Math.random().toString(36).slice(2, 8);

describe('supervisord after the hand-off', () => {
  it('runs every program RUNNING, with its rendered env and user; secrets only where rendered', async () => {
    const id = unique();
    const envOut = join(tmpdir(), `gigi-aio-env-${id}`);
    const programs: Program[] = [
      {
        name: `app-${id}`,
        // Dumps what the program got, then stays up like a server.
        command: `sh -c 'id -un > ${envOut}.tmp; env >> ${envOut}.tmp; mv ${envOut}.tmp ${envOut}; exec sleep 600'`,
        user: 'gigi',
        directory: '/tmp',
        environment: {
          // The renderer gives the app the deployment's variables (appEnvironment) explicitly.
          DATABASE_URL: 'postgres://u:pw-for-the-app@db/gigi',
          HOME: '/home/gigi',
          GITEA_URL: 'http://h/a,b="c"\\d%e',
          BROWSER_MODE: "it's $HOME; `x`",
        },
        priority: 50,
      },
      {
        name: `gitea-like-${id}`,
        command: `sh -c 'env > ${envOut}-gitea; exec sleep 600'`,
        environment: {},
        priority: 10,
      },
    ];
    const run = handOff(programs, {
      DATABASE_URL: 'postgres://u:pw-for-the-app@db/gigi',
      ADMIN_PASSWORD: 'boot-only-admin-password',
    });
    try {
      const states = await waitFor(
        'all RUNNING',
        async () => {
          const s = await status(run.conf);
          if (Object.keys(s).length === 3 && Object.values(s).every((v) => v === 'RUNNING')) return s;
          throw new Error(JSON.stringify(s));
        },
        { timeout: 30_000, interval: 200 },
      );
      expect(Object.keys(states).sort()).toEqual([`app-${id}`, 'fatal-listener', `gitea-like-${id}`].sort());
      const appEnv = await waitFor(
        'the app env dump',
        () => (existsSync(envOut) ? readFileSync(envOut, 'utf8') : undefined),
        { timeout: 30_000, interval: 200 },
      );
      const [user, ...lines] = appEnv.trim().split('\n');
      expect(user).toBe('gigi');
      expect(lines).toContain('HOME=/home/gigi');
      expect(lines).toContain('GITEA_URL=http://h/a,b="c"\\d%e');
      expect(lines).toContain("BROWSER_MODE=it's $HOME; `x`");
      expect(lines).toContain('DATABASE_URL=postgres://u:pw-for-the-app@db/gigi');
      expect(appEnv).not.toContain('boot-only-admin-password');
      const giteaEnv = await waitFor(
        'the gitea env dump',
        () => (existsSync(`${envOut}-gitea`) ? readFileSync(`${envOut}-gitea`, 'utf8') : undefined),
        { timeout: 30_000, interval: 200 },
      );
      expect(giteaEnv).not.toContain('DATABASE_URL');
      expect(readFileSync(join(supervisorPaths(run).logDir, `app-${id}.log`), 'utf8')).toBe('');
    } finally {
      rmSync(envOut, { force: true });
      rmSync(`${envOut}-gitea`, { force: true });
    }
  });

  it('a program that keeps failing goes FATAL: listener line, marker file, failing health check', async () => {
    const id = unique();
    const run = handOff([
      { name: `ok-${id}`, command: 'sleep 600', environment: {}, priority: 10 },
      {
        name: `broken-${id}`,
        command: "sh -c 'echo cannot start; exit 3'",
        environment: {},
        priority: 20,
        startretries: 1,
      },
    ]);
    const states = await waitFor(
      'broken FATAL',
      async () => {
        const s = await status(run.conf);
        return s[`broken-${id}`] === 'FATAL' && s[`ok-${id}`] === 'RUNNING' ? s : undefined;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(states[`broken-${id}`]).toBe('FATAL');
    const { fatalFile, logDir } = supervisorPaths(run);
    await waitFor('the marker file', () => (existsSync(fatalFile) ? true : undefined), {
      timeout: 30_000,
      interval: 200,
    });
    expect(readFileSync(fatalFile, 'utf8')).toBe(`broken-${id}\n`);
    await waitFor(
      'the listener line',
      () => (run.output().includes(`program broken-${id} went FATAL`) ? true : undefined),
      { timeout: 30_000, interval: 200 },
    );
    expect(readFileSync(join(logDir, `broken-${id}.log`), 'utf8')).toContain('cannot start');
    const health = await exec('sh', [join(aioDir(), 'healthcheck.sh')], {
      env: { ...process.env, GIGI_DATA_DIR: run.dataDir },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(health.code).toBe(1);
    expect(health.stderr).toContain(`FATAL programs: broken-${id}`);
  });

  it('the health check passes only when every program is RUNNING and the app answers', async () => {
    const id = unique();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const server = `require('http').createServer((q,s)=>s.end(q.url)).listen(${port},'127.0.0.1')`;
    const run = handOff([
      { name: `web-${id}`, command: `${process.execPath} -e "${server}"`, environment: {}, priority: 10 },
    ]);
    await waitFor(
      'RUNNING',
      async () => ((await status(run.conf))[`web-${id}`] === 'RUNNING' ? true : undefined),
      { timeout: 30_000, interval: 200 },
    );
    const check = () =>
      exec('sh', [join(aioDir(), 'healthcheck.sh')], {
        env: { ...process.env, GIGI_DATA_DIR: run.dataDir, GIGI_HEALTH_PORT: String(port) },
      }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );
    expect(
      await waitFor('healthy', async () => ((await check()) === 0 ? 0 : undefined), {
        timeout: 30_000,
        interval: 200,
      }),
    ).toBe(0);
    await exec('supervisorctl', ['-c', run.conf, 'stop', `web-${id}`]);
    expect(await check()).not.toBe(0);
  });

  it("`supervisorctl status` as typed (the image's /etc/supervisor/supervisord.conf) finds the rendered one; a console program's lines reach the container log", async () => {
    const id = unique();
    const run = handOff([
      {
        name: `app-${id}`,
        command: `sh -c 'echo app-line-${id}; echo app-error-${id} >&2; exec sleep 600'`,
        environment: {},
        priority: 10,
        logToConsole: true,
      },
    ]);
    // What `supervisorctl status` reads in the image when no -c is given (GIGI_BOOT_RUN_DIR is
    // the image's ENV, which `docker exec` inherits; this run has the default under the data dir).
    const typed = () =>
      exec('supervisorctl', ['-c', join(aioDir(), 'supervisorctl.conf'), 'status'], {
        env: { ...process.env, GIGI_BOOT_RUN_DIR: join(run.dataDir, 'gigi-boot') },
      }).then(({ stdout }) => stdout);
    const out = await waitFor(
      'RUNNING through the image config',
      async () =>
        (await typed()).includes(`app-${id}`) && (await status(run.conf))[`app-${id}`] === 'RUNNING'
          ? await typed()
          : undefined,
      { timeout: 30_000, interval: 200 },
    );
    expect(out).toMatch(new RegExp(`^app-${id}\\s+RUNNING`, 'm'));
    expect(out).toMatch(/^fatal-listener\s+RUNNING/m);
    await waitFor(
      'the app lines in the container log',
      () =>
        run.output().includes(`app-line-${id}`) && run.output().includes(`app-error-${id}`)
          ? true
          : undefined,
      { timeout: 30_000, interval: 200 },
    );
    expect(existsSync(join(supervisorPaths(run).logDir, `app-${id}.log`))).toBe(false);
  });

  it('SIGTERM to the hand-off stops supervisord and every program (process groups too) in time', async () => {
    const id = unique();
    const run = handOff([
      // A program with children of its own: stopasgroup must take them down too.
      { name: `tree-${id}`, command: "sh -c 'sleep 600 & sleep 600 & wait'", environment: {}, priority: 10 },
      // One that ignores TERM for a while: supervisord waits stopwaitsecs, then KILLs.
      {
        name: `stubborn-${id}`,
        command: 'sh -c \'trap "" TERM; while :; do sleep 0.1; done\'',
        environment: {},
        priority: 20,
        stopwaitsecs: 3,
      },
    ]);
    await waitFor(
      'RUNNING',
      async () => {
        const s = await status(run.conf);
        return s[`tree-${id}`] === 'RUNNING' && s[`stubborn-${id}`] === 'RUNNING' ? true : undefined;
      },
      { timeout: 30_000, interval: 200 },
    );
    const { stdout } = await exec('supervisorctl', ['-c', run.conf, 'pid', 'all']);
    const pids = stdout.trim().split('\n').map(Number); // the listener's, then the programs'
    expect(pids.every((p) => p > 0)).toBe(true);
    const supervisordPid = Number(readFileSync(supervisorPaths(run).pidFile, 'utf8'));
    const groupMembers = async () =>
      (await exec('ps', ['-e', '-o', 'pid=,pgid=,stat=']).then((r) => r.stdout))
        .trim()
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        // Zombies are dead: reaping orphans is PID 1's job (tini in the image), not supervisord's.
        .filter(([, pgid, stat]) => pids.includes(Number(pgid)) && !stat?.startsWith('Z'));
    expect((await groupMembers()).length).toBeGreaterThanOrEqual(5);

    const t0 = Date.now();
    run.child.kill('SIGTERM');
    const result = await run.exited;
    const elapsed = Date.now() - t0;
    expect(result).toEqual({ code: 0, signal: null });
    expect(elapsed).toBeLessThan(8_000);
    expect(elapsed).toBeGreaterThanOrEqual(2_500); // the stubborn one was waited for, then killed
    expect(await groupMembers()).toEqual([]);
    expect(() => process.kill(supervisordPid, 0)).toThrow();
    expect(run.output()).toContain('supervisord exited');
  });
});
