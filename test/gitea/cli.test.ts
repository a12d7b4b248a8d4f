// `gitea admin user create` through createUserWithCli, against the simulator (or GITEA_BIN).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUserWithCli, parseGeneratedPassword } from '../../src/gitea/cli.ts';
import { redactGiteaOutput } from '../../src/gitea/redact.ts';
import { isBootError, type GiteaProcessError } from '../../src/errors.ts';
import { startTestGitea, type TestGitea } from './helpers.ts';

let gitea: TestGitea;

beforeAll(async () => {
  gitea = await startTestGitea();
});

afterAll(async () => {
  await gitea?.stop();
});

function create(username: string, email: string, bin = gitea.bin) {
  return createUserWithCli({
    bin,
    configPath: gitea.configPath,
    workDir: gitea.workDir,
    runAs: gitea.runAs,
    username,
    email,
    admin: false,
  });
}

async function processFailure(promise: Promise<unknown>): Promise<GiteaProcessError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isBootError(error)).toBe(true);
  expect((error as GiteaProcessError).domain).toBe('gitea-process');
  return error as GiteaProcessError;
}

describe('createUserWithCli', () => {
  it('creates a user with a generated password and maps a re-run to created:false', async () => {
    const first = await create('alice', 'alice@example.com');
    expect(first.created).toBe(true);
    if (first.created) expect(first.password.length).toBeGreaterThanOrEqual(8);
    expect(await create('alice', 'alice@example.com')).toEqual({ created: false });
  });

  it('reports an e-mail collision as a permanent error naming the e-mail', async () => {
    const error = await processFailure(create('bob', 'alice@example.com'));
    expect(error.exitCode).toBe(1);
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(/e-mail already in use/);
    expect(error.hint).toContain('alice@example.com');
  });

  it('marks "database is locked" as transient', async () => {
    gitea.setFaults({
      cliFaults: [{ command: 'admin user create', message: 'CreateUser: database is locked', times: 1 }],
    });
    try {
      const error = await processFailure(create('carol', 'carol@example.com'));
      expect(error.transient).toBe(true);
      expect(error.outputTail).toMatch(/database is locked/);
    } finally {
      gitea.setFaults({});
    }
    // The retry the boot machine would do succeeds.
    expect((await create('carol', 'carol@example.com')).created).toBe(true);
  });

  it('names GITEA_BIN and the path when the binary is missing, and is not transient', async () => {
    const error = await processFailure(create('dave', 'dave@example.com', '/nonexistent/bin/gitea'));
    expect(error.message).toContain('GITEA_BIN=/nonexistent/bin/gitea');
    expect(error.transient).toBe(false);
    expect(error.hint).toMatch(/GITEA_BIN/);
  });

  it('finds the password line among log lines Gitea prints on stdout', () => {
    const stdout = [
      '2025/01/01 00:00:00 modules/setting/setting.go:1:f() [W] deprecated setting',
      "generated random password is 'Zx9-pw'",
      "New user 'x' has been successfully created!",
    ].join('\n');
    expect(parseGeneratedPassword(stdout)).toBe('Zx9-pw');
    expect(parseGeneratedPassword("New user 'x' has been successfully created!")).toBeUndefined();
  });

  it('redacts passwords and tokens from output it quotes', () => {
    const out = redactGiteaOutput(
      [
        "generated random password is 'hunter2hunter2'",
        `Access token was successfully created... ${'ab12'.repeat(10)}`,
        'mentions s3cret-value',
      ].join('\n'),
      ['s3cret-value'],
    );
    expect(out).not.toContain('hunter2hunter2');
    expect(out).not.toContain('ab12ab12');
    expect(out).not.toContain('s3cret-value');
  });
});
