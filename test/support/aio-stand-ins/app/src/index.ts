// The test Gigi app for the AIO container suite (stands in for the lean app image's /app).
// Started by supervisord as the seed starts the real one (`node --import tsx src/index.ts`),
// it answers GET /health with what it sees: the keys of the `config` table gigi-boot wrote (read
// with psql from DATABASE_URL; values are not shown), the env the hand-off gave it, its user,
// and whether Gitea and Chrome answer at the URLs it was given. It listens on PORT (default
// 3000; the app-only test runs the container on the host's network, where 3000 may be taken).
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';

const exec = promisify(execFile);

async function configTable(): Promise<Record<string, unknown>> {
  const url = process.env.DATABASE_URL;
  if (!url) return { error: 'DATABASE_URL is not set' };
  try {
    const { stdout } = await exec('psql', [url, '-Atc', 'SELECT key FROM config ORDER BY key']);
    const keys = stdout.split('\n').filter((k) => k !== '');
    const { stdout: giteaUrl } = await exec('psql', [
      url,
      '-Atc',
      "SELECT value FROM config WHERE key = 'gitea_url'",
    ]);
    return { keys, giteaUrl: giteaUrl.trim() };
  } catch (error) {
    return { error: String((error as { stderr?: string }).stderr ?? error) };
  }
}

async function probe(url: string | undefined): Promise<unknown> {
  if (!url) return { error: 'not configured' };
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.json() };
  } catch (error) {
    return { error: String(error) };
  }
}

createServer((req, res) => {
  if (req.url !== '/health') {
    res.writeHead(404).end();
    return;
  }
  void (async () => {
    const cdp = process.env.CHROME_CDP_URL;
    const body = {
      config: await configTable(),
      env: {
        GITEA_URL: process.env.GITEA_URL,
        CHROME_CDP_URL: cdp,
        BROWSER_MODE: process.env.BROWSER_MODE,
        BROWSER_VIEW_URL: process.env.BROWSER_VIEW_URL,
        HOME: process.env.HOME,
        ADMIN_PASSWORD: process.env.ADMIN_PASSWORD === undefined ? 'absent' : 'present',
      },
      user: userInfo().username,
      gitea: await probe(process.env.GITEA_URL && `${process.env.GITEA_URL}/api/v1/version`),
      chrome: await probe(cdp?.startsWith('http') ? `${cdp.replace(/\/+$/, '')}/json/version` : undefined),
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  })();
}).listen(Number(process.env.PORT ?? 3000), '0.0.0.0', () => {
  // The app's log: the container suite looks for this line in `docker logs`.
  console.log(`gigi-aio-test-app listening on :${process.env.PORT ?? 3000} as ${userInfo().username}`);
});
