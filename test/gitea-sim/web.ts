// `gitea web`: settings and app.ini write-backs, schema creation, the HTTP listener, faults,
// and graceful shutdown on SIGTERM/SIGINT (cmd/web.go, modules/graceful).
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { delimiter, join } from 'node:path';
import type { Socket } from 'node:net';
import { authenticate, checkSignedInUser } from './auth.ts';
import type { FlagValues } from './cli/args.ts';
import { holdAsync, matchRule, readFaults } from './faults.ts';
import { iniGet } from './ini.ts';
import { fatal, log } from './log.ts';
import { apiError, apiNotFound, HttpReply, writeReply, type ErrorUrls } from './respond.ts';
import { matchRoute, normalisePath } from './router.ts';
import type { ApiContext } from './routes/context.ts';
import { SIM_VERSION } from './routes/users.ts';
import { isValidJwtSecret, newJwtSecret } from './secrets.ts';
import {
  loadSettings,
  resolvePaths,
  saveConfigKey,
  settingBool,
  type GlobalOptions,
  type Settings,
} from './settings.ts';
import { recordCall, StateStore } from './state-store.ts';
import { recordWebRun } from './web-runs.ts';

function goTime(d = new Date()): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function gitInPath(): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, 'git')));
}

/** The app.ini keys `gitea web` generates and saves on first start (§G.1). */
function writeBackSecrets(settings: Settings, globals: GlobalOptions): void {
  const jwt = iniGet(settings.ini, 'oauth2', 'JWT_SECRET') ?? '';
  if (!isValidJwtSecret(jwt)) {
    try {
      saveConfigKey(settings.configPath, 'oauth2', 'JWT_SECRET', newJwtSecret());
    } catch (error) {
      fatal('setting/oauth2.go:150:loadOAuth2From()', `save oauth2.JWT_SECRET failed: ${String(error)}`);
    }
  }
  const effective = resolvePaths(globals).workPath;
  if (settings.workPathFromConfig === undefined) {
    try {
      saveConfigKey(settings.configPath, '', 'WORK_PATH', effective);
    } catch (error) {
      log(
        'E',
        'setting/path.go:180:InitWorkPathAndCfgProvider()',
        `Unable to update WORK_PATH=${effective} to config "${settings.configPath}": ${String(error)}`,
      );
    }
  } else if (settings.workPathFromConfig !== effective && (globals.workPath || process.env.GITEA_WORK_DIR)) {
    log(
      'E',
      'setting/path.go:170:InitWorkPathAndCfgProvider()',
      `WORK_PATH from config "${settings.workPathFromConfig}" doesn't match other paths from command arguments or environment variables: "${effective}"`,
    );
  }
}

/** GET /api/healthz (routers/web/healthcheck): pretty JSON; 424 when the database is gone. */
function healthz(settings: Settings, store: StateStore | undefined): { status: number; body: unknown } {
  if (!store) return { status: 200, body: { status: 'pass', description: settings.appName } };
  const now = goTime();
  const dbOk = store.hasSchema();
  const body = {
    status: dbOk ? 'pass' : 'fail',
    description: settings.appName,
    checks: {
      'cache:ping': [{ status: 'pass', time: now }],
      'database:ping': [{ status: dbOk ? 'pass' : 'fail', time: now }],
    },
  };
  return { status: dbOk ? 200 : 424, body };
}

async function handleApi(
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
  settings: Settings,
  store: StateStore,
  urls: ErrorUrls,
): Promise<HttpReply> {
  const state = store.read();
  const auth = authenticate(
    req,
    query,
    state,
    store,
    urls,
    settingBool(settings, 'service', 'ENABLE_BASIC_AUTHENTICATION', true),
  );
  checkSignedInUser(auth.doer, settings.rootUrl);
  const match = matchRoute(req.method ?? 'GET', path.slice('/api/v1'.length) || '/');
  if (match.kind === 'not-found') return apiNotFound(urls);
  if (match.kind === 'method-not-allowed') return new HttpReply(405, undefined);
  const ctx: ApiContext = { req, settings, store, state, auth, urls, params: match.params, query };
  try {
    const reply = await match.handler(ctx);
    if (reply.status < 300) await holdAsync(`${req.method ?? 'GET'} ${path}`);
    return reply;
  } catch (error) {
    if (error instanceof HttpReply) return error;
    const message = auth.doer?.isAdmin ? String(error instanceof Error ? error.message : error) : '';
    log('E', 'context/api.go:120:APIErrorInternal()', `InternalServerError: ${String(error)}`);
    return apiError(urls, 500, message);
  }
}

function sendPlain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function onRequest(
  req: IncomingMessage,
  res: ServerResponse,
  settings: Settings,
  store: StateStore | undefined,
  urls: ErrorUrls,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const path = normalisePath(url.pathname);
  const method = req.method ?? 'GET';
  const rule = matchRule(method, path);
  if (rule?.action === 'die') {
    log('F', 'gitea-sim/faults.ts:1:die()', `fault injection: dying on ${method} ${path}`);
    process.exit(1);
  }
  if (rule?.action === 'refuse') {
    req.socket.destroy();
    return;
  }
  if (rule?.action === 'slow') await new Promise((r) => setTimeout(r, rule.delayMs));
  if (rule?.action === 'status') {
    writeReply(res, apiError(urls, rule.status, rule.message ?? ''));
    return;
  }
  if (path === '/api/healthz' && method === 'GET') {
    const reply = healthz(settings, store);
    res.writeHead(reply.status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(reply.body, null, 2));
    return;
  }
  if (!store || !(path === '/api/v1' || path.startsWith('/api/v1/'))) {
    sendPlain(res, 404, '404 page not found\n');
    return;
  }
  let reply: HttpReply;
  try {
    reply = await handleApi(req, path, query(url), settings, store, urls);
  } catch (error) {
    if (error instanceof HttpReply) reply = error;
    else {
      log('E', 'context/api.go:120:APIErrorInternal()', `InternalServerError: ${String(error)}`);
      reply = apiError(urls, 500, '');
    }
  }
  if (reply.status === 405) sendPlain(res, 405, 'Method Not Allowed\n');
  else writeReply(res, reply);
}

function query(url: URL): URLSearchParams {
  return url.searchParams;
}

/** Run the web server until SIGTERM/SIGINT; resolves to the exit code. */
export async function runWeb(globals: GlobalOptions, flags: FlagValues): Promise<number> {
  const settings = loadSettings(globals);
  const pid = process.pid;
  log('I', 'cmd/web.go:250:runWeb()', `Starting Gitea on PID: ${pid}`);
  log(
    'I',
    'cmd/web.go:300:showWebStartupMessage()',
    `Gitea version: ${SIM_VERSION} built with GNU Make 4.3, go1.24.9 : bindata, sqlite, sqlite_unlock_notify`,
  );
  log('I', 'cmd/web.go:301:showWebStartupMessage()', '* RunMode: prod');
  log('I', 'cmd/web.go:302:showWebStartupMessage()', `* AppPath: ${process.argv[1] ?? ''}`);
  log('I', 'cmd/web.go:303:showWebStartupMessage()', `* WorkPath: ${settings.workPath}`);
  log('I', 'cmd/web.go:304:showWebStartupMessage()', `* CustomPath: ${settings.customPath}`);
  log('I', 'cmd/web.go:305:showWebStartupMessage()', `* ConfigFile: ${settings.configPath}`);

  let port = settings.httpPort;
  let store: StateStore | undefined;
  if (settings.installLock) {
    log('I', 'cmd/web.go:310:showWebStartupMessage()', 'Prepare to run web server');
    writeBackSecrets(settings, globals);
    if (flags.isSet('port')) {
      port = flags.string('port');
      saveConfigKey(settings.configPath, 'server', 'LOCAL_ROOT_URL', `http://localhost:${port}/`);
    }
    if (!gitInPath())
      fatal('git/git.go:80:InitFull()', 'Failed to initialize git: no git executable found in PATH');
    log(
      'I',
      'routers/init.go:120:InitWebInstalled()',
      'Git version: 2.39.5, Wire Protocol Version 2 Enabled (home: ' +
        join(settings.appDataPath, 'home') +
        ')',
    );
    if (settings.dbType === '')
      fatal(
        'routers/common/db.go:30:InitDBEngine()',
        `Database settings are missing from the configuration file: "${settings.configPath}".`,
      );
    if (settings.dbType !== 'sqlite3')
      fatal(
        'routers/common/db.go:30:InitDBEngine()',
        `ORM engine initialization failed: the Gitea simulator only supports DB_TYPE = sqlite3, not "${settings.dbType}"`,
      );
    log('I', 'routers/common/db.go:21:InitDBEngine()', 'ORM engine initialization attempt #1/10...');
    store = new StateStore(settings.dbPath, settings.sqliteTimeoutMs);
    recordCall(settings.dbPath, 'web');
    try {
      store.migrate();
    } catch (error) {
      fatal('routers/common/db.go:30:InitDBEngine()', `ORM engine initialization failed: ${String(error)}`);
    }
    mkdirSync(settings.appDataPath, { recursive: true });
    log('I', 'routers/init.go:140:InitWebInstalled()', 'ORM engine initialization successful!');
  } else {
    if (flags.isSet('install-port')) port = flags.string('install-port');
    else if (flags.isSet('port')) port = flags.string('port');
    log('I', 'cmd/web.go:160:serveInstall()', 'Prepare to run install page');
  }

  // Gitea's graceful manager handles TERM from the start: a stop during initialisation is clean.
  recordWebRun(settings.dbPath, { pid, event: 'started' });
  const stopEarly = (signal: string) => {
    log(
      'I',
      'graceful/manager_unix.go:150:handleSignals()',
      `PID ${pid}. Received ${signal}. Shutting down...`,
    );
    recordWebRun(settings.dbPath, { pid, event: 'stopped', signal });
    process.exit(0);
  };
  const onEarlyTerm = () => stopEarly('SIGTERM');
  const onEarlyInt = () => stopEarly('SIGINT');
  process.on('SIGTERM', onEarlyTerm);
  process.on('SIGINT', onEarlyInt);

  const delay = readFaults().startupDelayMs ?? 0;
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));

  const urls: ErrorUrls = { swaggerUrl: `${settings.rootUrl}api/swagger` };
  const addr = settings.httpAddr;
  const server = createServer((req, res) => {
    if (settings.dbPath) recordCall(settings.dbPath, `api ${req.method} ${(req.url ?? '').split('?')[0]}`);
    onRequest(req, res, settings, store, urls).catch((error: unknown) => {
      log('E', 'cmd/web.go:400:serve()', `request failed: ${String(error)}`);
      if (!res.headersSent) writeReply(res, apiError(urls, 500, ''));
      else res.destroy();
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  log('I', 'cmd/web.go:320:listen()', `Listen: http://${addr}:${port}`);
  log('I', 'cmd/web.go:321:listen()', `AppURL(ROOT_URL): ${settings.rootUrl}`);
  log(
    'I',
    'graceful/server.go:50:NewServer()',
    `Starting new Web server: tcp:${addr}:${port} on PID: ${pid}`,
  );
  await new Promise<void>((resolve) => {
    server.once('error', (error) => {
      log('C', 'cmd/web.go:330:listen()', `Failed to start server: ${String(error)}`);
      process.exit(1);
    });
    server.listen(Number(port), addr === '' ? undefined : addr, () => resolve());
  });

  process.off('SIGTERM', onEarlyTerm);
  process.off('SIGINT', onEarlyInt);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutdown = (signal: string): void => {
      // Gitea's graceful manager shuts down once; a repeated TERM/INT changes nothing (and does
      // not kill it, as the default action of an unhandled signal would).
      if (stopping) return;
      stopping = true;
      log(
        'I',
        'graceful/manager_unix.go:150:handleSignals()',
        `PID ${pid}. Received ${signal}. Shutting down...`,
      );
      server.close(() => {
        log('I', 'cmd/web.go:260:runWeb()', 'PID: ' + pid + ' Gitea Web Finished');
        recordWebRun(settings.dbPath, { pid, event: 'stopped', signal });
        resolve(0);
      });
      for (const s of sockets) s.end();
      setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, 2000).unref();
    };
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGINT', () => shutdown('SIGINT'));
  });
}
