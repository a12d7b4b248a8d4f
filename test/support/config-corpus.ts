// A corpus of deployment environments, good and bad, for the tests that must agree on what is
// a valid configuration: `gigi-boot check` against `gigi-boot run` (test/inspect/check.test.ts),
// and the loader and the bad-input suites, which hold the same cases. Each case is the extra
// variables over bootEnv's (simulator, free port, user gigi); `rejects` lists the settings its
// issue lines must name (exit 2), or is empty for an environment `run` accepts.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ConfigCase {
  name: string;
  /** Extra variables; `dir` is a scratch directory for files the case needs. */
  env: (dir: string) => Record<string, string>;
  /** Settings named on the issue lines (exit 2); [] means run accepts it (exit 0). */
  rejects: string[];
}

const secretFile = (dir: string, name: string, content: string) => {
  const file = join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
};

export const CONFIG_CORPUS: readonly ConfigCase[] = [
  { name: 'the defaults over the simulator', env: () => ({}), rejects: [] },
  {
    name: 'a secret from TELEGRAM_TOKEN_FILE and an app.ini setting from GITEA__',
    env: (dir) => ({
      TELEGRAM_TOKEN_FILE: secretFile(dir, 'telegram', 'telegram-from-the-file-123\n'),
      GITEA__ui__DEFAULT_THEME: 'gitea-dark',
    }),
    rejects: [],
  },
  { name: 'a port out of range', env: () => ({ GITEA_HTTP_PORT: '70000' }), rejects: ['GITEA_HTTP_PORT'] },
  {
    name: 'a URL that is not one',
    env: () => ({ WEBHOOK_URL: 'localhost:3000/webhook' }),
    rejects: ['WEBHOOK_URL'],
  },
  {
    name: 'names Gitea would refuse',
    env: () => ({ ADMIN_USER: 'api', ORG_NAME: 'my..org' }),
    rejects: ['ADMIN_USER', 'ORG_NAME'],
  },
  {
    name: 'an insecure ADMIN_PASSWORD for an external Gitea',
    env: () => ({ GITEA_URL: 'http://127.0.0.1:9', ADMIN_PASSWORD: 'gigi-local-dev' }),
    rejects: ['ADMIN_PASSWORD'],
  },
  {
    name: 'ADMIN_PASSWORD without GITEA_URL',
    env: () => ({ ADMIN_PASSWORD: 'a-perfectly-fine-Passw0rd' }),
    rejects: ['ADMIN_PASSWORD'],
  },
  {
    name: 'X and X_FILE both set',
    env: (dir) => ({
      TELEGRAM_TOKEN: 'telegram-from-the-env-456',
      TELEGRAM_TOKEN_FILE: secretFile(dir, 'telegram', 'telegram-from-the-file-123\n'),
    }),
    rejects: ['TELEGRAM_TOKEN and TELEGRAM_TOKEN_FILE'],
  },
  {
    name: 'an unreadable X_FILE',
    env: (dir) => ({ CLAUDE_TOKEN_FILE: join(dir, 'no-such-file') }),
    rejects: ['CLAUDE_TOKEN_FILE'],
  },
  {
    name: 'a GIGI_BOOT_FAILPOINTS that is not STEP=TERM',
    env: () => ({ GIGI_BOOT_FAILPOINTS: 'createOrg=explode' }),
    rejects: ['GIGI_BOOT_FAILPOINTS'],
  },
  {
    name: 'a GITEA__ setting that gigi-boot owns',
    env: () => ({ GITEA__server__HTTP_PORT: '3000' }),
    rejects: ['GITEA__server__HTTP_PORT'],
  },
  // Preflight: what the environment points at.
  {
    name: 'a GITEA_BIN that does not exist',
    env: (dir) => ({ GITEA_BIN: join(dir, 'no-gitea') }),
    rejects: ['GITEA_BIN'],
  },
  {
    name: 'a GIGI_DATA_DIR that is a file',
    env: (dir) => ({ GIGI_DATA_DIR: secretFile(dir, 'not-a-dir', 'x') }),
    rejects: ['GIGI_DATA_DIR'],
  },
  {
    name: 'a Gitea run user that does not exist',
    env: () => ({ GIGI_BOOT_GITEA_USER: 'no-such-user-h10' }),
    rejects: ['GIGI_BOOT_GITEA_USER'],
  },
  {
    name: 'a value supervisord cannot pass to the app',
    env: () => ({ BROWSER_VIEW_URL: `"/browser/'` }),
    rejects: ['BROWSER_VIEW_URL'],
  },
];

/** A scratch directory for a case's files (readable by the Gitea run user where it must be). */
export function corpusScratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gigi-corpus-'));
  chmodSync(dir, 0o755);
  return dir;
}
