// docs/architecture.md shows the machine as docs/boot-machine.svg: it must be what
// `gigi-boot visualize --out FILE.svg` draws today (regenerate: npx tsx src/docs/regenerate.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOT_MACHINE_SVG, drawBootMachineSvg } from '../../src/docs/boot-machine-svg.ts';
import { BOOT_STEPS } from '../../machines/boot.ts';

describe('docs/boot-machine.svg', () => {
  it('is what gigi-boot visualize draws for a volume that never booted', () => {
    const drawn = drawBootMachineSvg();
    expect(drawn).toMatch(/^<\?xml[^]*<svg[^]*<\/svg>\s*$/);
    for (const step of BOOT_STEPS) expect(drawn, step).toContain(`>${step}<`);
    expect(readFileSync(BOOT_MACHINE_SVG, 'utf8')).toBe(drawn);
  });
});
