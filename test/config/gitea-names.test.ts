import { describe, expect, it } from 'vitest';
import {
  GIGI_GITEA_USERNAME,
  GITEA_NAME_MAX_LENGTH,
  GITEA_RESERVED_NAMES,
  giteaNameProblem,
  isUsableGiteaName,
  sameGiteaName,
} from '../../src/config/gitea-names.ts';

describe('Gitea name rules (contract §D.3)', () => {
  it.each([
    'gigi',
    'gigi-admin',
    'admin',
    'gigi-org',
    'a',
    '7',
    'A.b_c-d',
    'x'.repeat(GITEA_NAME_MAX_LENGTH),
  ])('accepts %j', (name) => {
    expect(giteaNameProblem(name)).toBeUndefined();
    expect(isUsableGiteaName(name)).toBe(true);
  });

  it('accepts the fixed gigi account name', () => {
    expect(isUsableGiteaName(GIGI_GITEA_USERNAME)).toBe(true);
  });

  it.each([
    ['', /empty/],
    ['x'.repeat(GITEA_NAME_MAX_LENGTH + 1), /at most 40/],
    ['-lead', /start with a letter or digit/],
    ['.lead', /start with a letter or digit/],
    ['_lead', /start with a letter or digit/],
    ['trail-', /end with/],
    ['trail.', /end with/],
    ['trail_', /end with/],
    ['a..b', /in a row/],
    ['a-_b', /in a row/],
    ['a._b', /in a row/],
    ['ünïcode', /ASCII letters/],
    ['with space', /ASCII letters/],
  ])('rejects %j', (name, reason) => {
    expect(giteaNameProblem(name)).toMatch(reason);
    expect(isUsableGiteaName(name)).toBe(false);
  });

  it.each([
    `a"b`,
    "a'b",
    'a;rm -rf',
    'a\nb',
    'a b',
    'a$(id)',
    'a`id`',
    'a/b',
    'a\\b',
    'a|b',
    'a&b',
    'a\u0000b',
  ])('rejects the injection attempt %j', (name) => {
    expect(giteaNameProblem(name)).toMatch(/ASCII letters/);
  });

  it.each(GITEA_RESERVED_NAMES.filter((n) => !n.startsWith('.')))('rejects the reserved name %j', (name) => {
    expect(giteaNameProblem(name)).toMatch(/reserves/);
  });

  it('compares reserved names case-insensitively', () => {
    expect(giteaNameProblem('API')).toMatch(/"api" is a name Gitea reserves/);
    expect(giteaNameProblem('Ghost')).toMatch(/reserves/);
  });

  it.each(['me.keys', 'me.gpg', 'me.rss', 'me.atom', 'me.png', 'ME.PNG'])(
    'rejects the reserved pattern %j',
    (name) => {
      expect(giteaNameProblem(name)).toMatch(/reserved by Gitea/);
    },
  );

  it('treats names that only resemble reserved ones as usable', () => {
    expect(isUsableGiteaName('apis')).toBe(true);
    expect(isUsableGiteaName('keys')).toBe(true);
    expect(isUsableGiteaName('me-png')).toBe(true);
  });

  it('compares names case-insensitively, like Gitea lower_name', () => {
    expect(sameGiteaName('Gigi', 'gigi')).toBe(true);
    expect(sameGiteaName('gigi-org', 'gigi')).toBe(false);
  });
});
