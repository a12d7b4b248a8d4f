import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1500', 1500],
    ['0', 0],
    ['1.5s', 1500],
  ])('%j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '10 s', ' 10s', '10S', '-5s', '5d', 's', '0.5ms', '1e3', '10s10'])(
    'rejects %j',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});
