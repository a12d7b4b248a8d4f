import { execa } from 'execa';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { giteaCommand, giteaEnv, isSecretEnvName, resolveRunAs } from '../../src/gitea/run-as.ts';
import { isBootError } from '../../src/errors.ts';
import { GITEA_TEST_USER } from '../support/system-users.ts';

const asRoot = userInfo().uid === 0;
const runUser = asRoot ? GITEA_TEST_USER : userInfo().username;

describe('run-as', () => {
  it('runs the command as the unprivileged user with its HOME and the work dir', async () => {
    const runAs = await resolveRunAs(runUser);
    expect(runAs.switchUser).toBe(asRoot);
    const cmd = giteaCommand(runAs, '/bin/sh', ['-c', 'echo "$(id -u) $HOME $GITEA_WORK_DIR"'], '/tmp/work');
    expect(cmd.file).toBe('setpriv');
    expect(cmd.args).toContain('--pdeathsig=TERM');
    const { stdout } = await execa(cmd.file, cmd.args, { env: cmd.env, extendEnv: false });
    expect(stdout).toBe(`${runAs.uid} ${runAs.home} /tmp/work`);
  });

  it('passes GITEA_SIM_* faults through and never secrets', () => {
    const runAs = { user: 'gigi', uid: 1001, gid: 1001, home: '/home/gigi', switchUser: true };
    const env = giteaEnv(runAs, '/data/gitea', {
      PATH: '/usr/bin',
      ADMIN_PASSWORD: 'hunter2',
      GITEA_TOKEN: 'abc',
      DATABASE_URL: 'postgres://u:p@h/db',
      ADMIN_PASSWORD_FILE: '/run/secrets/pw',
      GITEA_SIM_FAULTS: 'slow-start',
      GITEA_SIM_API_TOKEN: 'leak?',
      GIGI_BOOT_GITEA_USER: 'gigi',
    });
    expect(env).toEqual({
      HOME: '/home/gigi',
      USER: 'gigi',
      LOGNAME: 'gigi',
      PATH: '/usr/bin',
      GITEA_WORK_DIR: '/data/gitea',
      GITEA_SIM_FAULTS: 'slow-start',
    });
    expect(isSecretEnvName('TELEGRAM_BOT_TOKEN')).toBe(true);
    expect(isSecretEnvName('GIGI_DATA_DIR')).toBe(false);
  });

  it('never puts a secret on the command line (only the given args follow the binary)', async () => {
    const runAs = await resolveRunAs(runUser);
    const cmd = giteaCommand(runAs, '/usr/bin/gitea', ['web', '--config', '/x/app.ini'], '/x');
    expect(cmd.args.slice(cmd.args.indexOf('--') + 1)).toEqual([
      '/usr/bin/gitea',
      'web',
      '--config',
      '/x/app.ini',
    ]);
  });

  it('names GIGI_BOOT_GITEA_USER when the user does not exist', async () => {
    const error = await resolveRunAs('no-such-user-gigi-boot').catch((e: unknown) => e);
    expect(isBootError(error)).toBe(true);
    expect((error as Error).message).toMatch(/GIGI_BOOT_GITEA_USER.*no-such-user-gigi-boot/);
  });

  it('refuses root as the Gitea user', async () => {
    const error = await resolveRunAs('root').catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/root|cannot switch/);
  });
});
