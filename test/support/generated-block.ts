// The lines between `<!-- name:start -->` and `<!-- name:end -->` in a generated doc, so each
// "the doc is exactly what the code renders" test reads its block the same way and fails
// naming the doc and the missing marker.
import { expect } from 'vitest';

export function generatedBlock(doc: string, docName: string, marker: string): string {
  const lines = doc.split('\n');
  const start = lines.indexOf(`<!-- ${marker}:start -->`);
  const end = lines.indexOf(`<!-- ${marker}:end -->`);
  expect(start, `${docName} has a line <!-- ${marker}:start -->`).toBeGreaterThanOrEqual(0);
  expect(end, `${docName} has a line <!-- ${marker}:end --> after ${marker}:start`).toBeGreaterThan(start);
  return lines
    .slice(start + 1, end)
    .join('\n')
    .trim();
}
