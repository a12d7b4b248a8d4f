// BootConfig is inferred from the mapping in src/config/boot-config.ts, not written by hand:
// these type assertions (checked by `tsc`, which `npm run check` runs over test/) hold the shape
// the rest of src/ was written against, so an inference that widens a field (to `any`, to a
// `never[]`) or a renamed field fails here rather than somewhere downstream.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { BootInput, RetryPolicy as MachineRetryPolicy } from '../../machines/boot.ts';
import { loadConfig, type BootConfig, type Deadlines, type RetryPolicy } from '../../src/config/index.ts';
import type { bootConfigSchema } from '../../src/config/boot-config.ts';
import type { Failpoints } from '../../src/config/failpoints.ts';
import type { GiteaIniSetting } from '../../src/config/gitea-env.ts';
import type { z } from 'zod';

describe('BootConfig, inferred from the schema and its mapping', () => {
  it('is what the schema outputs', () => {
    expectTypeOf<z.output<typeof bootConfigSchema>>().toEqualTypeOf<BootConfig>();
  });

  it("has one RetryPolicy: the machine's, which its input takes", () => {
    expectTypeOf<RetryPolicy>().toEqualTypeOf<MachineRetryPolicy>();
    expectTypeOf<BootConfig['retry']>().toEqualTypeOf<MachineRetryPolicy>();
    expectTypeOf<Pick<BootConfig, 'retry'>>().toExtend<BootInput>();
  });

  it('keeps the field names and types src/ was written against', () => {
    expectTypeOf<Deadlines>().toEqualTypeOf<{
      giteaReadyMs: number;
      lockWaitMs: number;
      databaseWaitMs: number;
      giteaStopMs: number;
      httpRequestMs: number;
      commandMs: number;
      dockerSocketWaitMs: number;
      runnerRetryMs: number;
    }>();
    expectTypeOf<BootConfig>().toEqualTypeOf<{
      databaseUrl: string | undefined;
      dataDir: string;
      runDir: string;
      giteaBin: string;
      giteaUrl: string | undefined;
      giteaHttpPort: number;
      giteaHttpAddr: string;
      chromeCdpUrl: string | undefined;
      browserMode: string | undefined;
      browserViewUrl: string | undefined;
      adminUser: string;
      adminPassword: string | undefined;
      adminEmail: string;
      orgName: string;
      webhookUrl: string;
      telegramToken: string | undefined;
      claudeToken: string | undefined;
      tokenScopes: string[];
      giteaRunUser: string;
      deadlines: Deadlines;
      docker: {
        socketPath: string | undefined;
        dockerHost: string | undefined;
        runnerImage: string;
        runnerContextDir: string;
        buildArgs: Record<string, string>;
        networkMode: string | undefined;
      };
      retry: MachineRetryPolicy;
      failpoints: Failpoints;
      giteaIni: GiteaIniSetting[];
    }>();
  });

  it('is what loadConfig returns at run time, every field present', async () => {
    const { config } = await loadConfig({});
    expectTypeOf(config).toEqualTypeOf<BootConfig>();
    expect(Object.keys(config).sort()).toEqual(
      [
        'databaseUrl',
        'dataDir',
        'runDir',
        'giteaBin',
        'giteaUrl',
        'giteaHttpPort',
        'giteaHttpAddr',
        'chromeCdpUrl',
        'browserMode',
        'browserViewUrl',
        'adminUser',
        'adminPassword',
        'adminEmail',
        'orgName',
        'webhookUrl',
        'telegramToken',
        'claudeToken',
        'tokenScopes',
        'giteaRunUser',
        'deadlines',
        'docker',
        'retry',
        'failpoints',
        'giteaIni',
      ].sort(),
    );
  });
});
