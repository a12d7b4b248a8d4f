// The log vocabulary: docs/log-events.md is exactly what src/log/events.ts renders, every
// documented event is one the code writes, and the compiler refuses a logger call with an
// unknown event, a field it does not have, a missing field or the wrong level.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { renderLogEventsReference } from '../../src/log/events-reference.ts';
import { LOG_EVENTS, LOG_LEVELS } from '../../src/log/events.ts';
import type { Logger } from '../../src/log/logger.ts';
import { generatedBlock } from '../support/generated-block.ts';

const ROOT = new URL('../..', import.meta.url);

async function sourcesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => join(e.parentPath, e.name));
}

describe('log events', () => {
  it('docs/log-events.md holds exactly the generated list (regenerate: npx tsx src/log/print-events.ts)', async () => {
    const doc = await readFile(new URL('docs/log-events.md', ROOT), 'utf8');
    expect(generatedBlock(doc, 'docs/log-events.md', 'log-events')).toBe(renderLogEventsReference());
  });

  it('print-events.ts prints the same list, for regenerating the page', async () => {
    const { stdout } = await execa('npx', ['tsx', 'src/log/print-events.ts'], { cwd: ROOT });
    expect(stdout).toBe(renderLogEventsReference());
  });

  it('documents every event once, with its level, and each field with what it holds', () => {
    const list = renderLogEventsReference();
    for (const [name, meta] of Object.entries(LOG_EVENTS)) {
      expect(
        list.split('\n').filter((l) => l.startsWith(`- **\`${name}\`** (${meta.level}): `)),
      ).toHaveLength(1);
      expect(Object.keys(LOG_LEVELS)).toContain(meta.level);
      expect(meta.when.length).toBeGreaterThan(10);
      for (const what of Object.values(meta.fields as Record<string, string>))
        expect(what.length).toBeGreaterThan(2);
    }
  });

  it('names every event <source>.<what>, from a short list of sources', () => {
    const sources = 'config|store|lock|boot|volume|step|failpoint|checkpoint|gitea|docker|handoff';
    const unnamespaced = Object.keys(LOG_EVENTS).filter(
      (name) => !new RegExp(`^(${sources})\\.[a-z_]+$`).test(name),
    );
    expect(unnamespaced).toEqual([]);
  });

  it('documents no event the code does not write', async () => {
    const files = await sourcesUnder(new URL('src', ROOT).pathname);
    const written = new Set<string>();
    for (const file of files) {
      if (file.endsWith('/src/log/events.ts')) continue;
      for (const m of (await readFile(file, 'utf8')).matchAll(/\bevent: '([\w.]+)'/g)) written.add(m[1]!);
    }
    expect(Object.keys(LOG_EVENTS).filter((name) => !written.has(name))).toEqual([]);
  });
});

/** Never called: `tsc --noEmit` (npm run check) fails if one of these calls compiles. */
export function rejectedByTheCompiler(logger: Logger): void {
  logger.info({ event: 'boot.plan', plan: 'warm', reason: 'fine' }, 'the shape that compiles');
  // @ts-expect-error an event that is not in LOG_EVENTS
  logger.info({ event: 'boot.planned', plan: 'warm', reason: 'x' }, 'x');
  // @ts-expect-error a field boot.plan does not have
  logger.info({ event: 'boot.plan', plan: 'warm', reason: 'x', extra: 1 }, 'x');
  // @ts-expect-error boot.plan without its reason
  logger.info({ event: 'boot.plan', plan: 'warm' }, 'x');
  // @ts-expect-error a plan kind that does not exist
  logger.info({ event: 'boot.plan', plan: 'lukewarm', reason: 'x' }, 'x');
  // @ts-expect-error boot.plan is an info event, not a warning
  logger.warn({ event: 'boot.plan', plan: 'warm', reason: 'x' }, 'x');
  // @ts-expect-error an event with no fields takes none
  logger.warn({ event: 'boot.replay', state: 'x' }, 'x');
  // @ts-expect-error a line without a message for the operator
  logger.error({ event: 'lock.lost', err: new Error('x') });
}
