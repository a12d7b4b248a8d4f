import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { renderEnvReference } from '../../src/config/reference.ts';
import { ENV_VAR_NAMES, SECRET_ENV_VARS } from '../../src/config/schema.ts';
import { generatedBlock } from '../support/generated-block.ts';

const REFERENCE = new URL('../../docs/configuration.md', import.meta.url);

describe('environment reference', () => {
  it('docs/configuration.md holds exactly the generated table (regenerate: npx tsx src/config/print-reference.ts --write)', async () => {
    const doc = await readFile(REFERENCE, 'utf8');
    expect(generatedBlock(doc, 'docs/configuration.md', 'env')).toBe(renderEnvReference());
  });

  it('print-reference.ts prints the same table, for regenerating the reference', async () => {
    const { stdout } = await execa('npx', ['tsx', 'src/config/print-reference.ts'], {
      cwd: new URL('../..', import.meta.url),
    });
    expect(stdout).toBe(renderEnvReference());
  });

  it('documents every variable once, with a description, and marks exactly the secrets', () => {
    const rows = renderEnvReference().split('\n').slice(2);
    expect(rows).toHaveLength(ENV_VAR_NAMES.length);
    for (const [i, name] of ENV_VAR_NAMES.entries()) {
      const cells = rows[i]!.split(' | ').map((c) => c.replace(/^\|/, '').trim());
      expect(cells[0]).toBe(`\`${name}\``);
      expect(cells[2]).toBe(SECRET_ENV_VARS.includes(name) ? `yes (or \`${name}_FILE\`)` : 'no');
      expect(cells[3]!.replace(/\|$/, '').trim().length).toBeGreaterThan(10);
    }
    expect([...SECRET_ENV_VARS].sort()).toEqual([
      'ADMIN_PASSWORD',
      'CLAUDE_TOKEN',
      'DATABASE_URL',
      'TELEGRAM_TOKEN',
    ]);
  });

  it('shows the defaults loadConfig applies, as an operator writes them', () => {
    const table = renderEnvReference();
    const defaultOf = (name: string) => {
      const row = table.split('\n').find((r) => r.startsWith(`| \`${name}\` `))!;
      return row.split(' | ')[1]!.trim();
    };
    expect(defaultOf('GIGI_DATA_DIR')).toBe('`/data`');
    expect(defaultOf('GIGI_BOOT_LOCK_TIMEOUT')).toBe('`10m`');
    expect(defaultOf('ADMIN_EMAIL')).toBe('`<ADMIN_USER>@gigi.local`');
    expect(defaultOf('DATABASE_URL')).toBe('—');
  });
});
