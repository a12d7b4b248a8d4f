// Every message and hint an operator reads is a string literal somewhere in src/ or machines/.
// A hint that names a variable or a command that does not exist sends the operator nowhere
// (GITEA_ORG_NAME and GITEA_ADMIN_EMAIL once did), so this scans every string literal of the
// source with the TypeScript parser and checks what it names against the config schema, the
// CLI's command table and the repository's documents.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/main.ts';
import { ENV_VAR_NAMES, SECRET_ENV_VARS } from '../../src/config/schema.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Names with our variables' prefixes that are not ours, each with the reason it may appear. */
const NOT_OURS: Record<string, string> = {
  GITEA_WORK_DIR: "Gitea's own variable, set for the gitea child",
  GITEA_SIM: 'prefix of the Gitea simulator fault variables passed to the child (GITEA_SIM_*)',
};

interface Literal {
  file: string;
  line: number;
  text: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Every string literal and template chunk of one source text. */
function literalsOf(file: string, text: string): Literal[] {
  const out: Literal[] = [];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (
      ts.isStringLiteral(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    ) {
      const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
      out.push({ file, line, text: node.text });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every string literal and template chunk of src/ and machines/. */
function literals(): Literal[] {
  return [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'machines'))].flatMap((file) =>
    literalsOf(relative(ROOT, file), readFileSync(file, 'utf8')),
  );
}

const ALL = literals();

/** First segments of our variables (GIGI, GITEA, ADMIN, …): an UPPER_CASE name starting so is meant as one. */
const PREFIXES = new Set(ENV_VAR_NAMES.map((n) => n.split('_')[0]!));
const VALID = new Set<string>([...ENV_VAR_NAMES, ...SECRET_ENV_VARS.map((n) => `${n}_FILE`)]);

function namedVariables(text: string): string[] {
  return [...text.matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)]
    .map((m) => m[0])
    .filter((name) => PREFIXES.has(name.split('_')[0]!));
}

/**
 * `gigi-boot X …` where X is meant as a command: in backticks, at the start of the string (a
 * usage line, a "gigi-boot reset: …" prefix; not "gigi-boot pid=12"), after "Usage: ", or followed by a flag. Prose
 * such as "(a gigi-boot bug)" or "gigi-boot expects Gitea 1.24" is not a command.
 */
function namedCommands(text: string): Array<{ command: string; flags: string[] }> {
  const out: Array<{ command: string; flags: string[] }> = [];
  for (const m of text.matchAll(
    /gigi-boot ([a-z][a-z-]*)((?: \[?--?[a-z][a-z-]*\]?(?: [A-Z][A-Z.|_]*)?)*)/g,
  )) {
    const before = text.slice(0, m.index);
    const after = text.slice(m.index + m[0].length);
    const asCommand =
      m[2] !== '' ||
      before.endsWith('`') ||
      before.endsWith('Usage: ') ||
      (before === '' && /^($|:|\n| \[)/.test(after));
    if (!asCommand) continue;
    out.push({ command: m[1]!, flags: [...m[2]!.matchAll(/--([a-z][a-z-]*)/g)].map((f) => f[1]!) });
  }
  return out;
}

/** Names in `literals` that are not settings: `file:line: NAME`. */
function wrongVariables(literals: readonly Literal[]): string[] {
  return literals.flatMap((l) =>
    namedVariables(l.text)
      .filter((name) => !VALID.has(name) && !(name in NOT_OURS))
      .map((name) => `${l.file}:${l.line}: ${name}`),
  );
}

/** `gigi-boot COMMAND --flag`s in `literals` that the CLI does not have. */
function wrongCommands(literals: readonly Literal[]): string[] {
  return literals.flatMap((l) =>
    namedCommands(l.text).flatMap(({ command, flags }) => {
      const known = COMMANDS[command];
      if (!known) return [`${l.file}:${l.line}: gigi-boot ${command}`];
      return flags
        .filter((f) => !(f in known.options))
        .map((f) => `${l.file}:${l.line}: gigi-boot ${command} --${f}`);
    }),
  );
}

/**
 * Documents a message points the operator to: README.md or docs/NAME.md, with an optional
 * #anchor. A path that starts with ../ is code finding a file, not a pointer for a reader.
 */
function namedDocs(text: string): Array<{ file: string; anchor: string | undefined }> {
  return [...text.matchAll(/(?<![\w./-])((?:docs\/)?[\w-]+\.md)(?:#([\w-]+))?/g)].map((m) => ({
    file: m[1]!,
    anchor: m[2],
  }));
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as dashes. */
function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6} +(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Documents (and #anchors) named in `literals` that the repository does not have. */
function wrongDocs(literals: readonly Literal[]): string[] {
  return literals.flatMap((l) =>
    namedDocs(l.text).flatMap(({ file, anchor }) => {
      const where = `${l.file}:${l.line}: ${file}${anchor === undefined ? '' : `#${anchor}`}`;
      if (!existsSync(join(ROOT, file))) return [where];
      if (anchor !== undefined && !headingAnchors(readFileSync(join(ROOT, file), 'utf8')).has(anchor))
        return [where];
      return [];
    }),
  );
}

describe('messages and hints name only what exists', () => {
  it('scans a real amount of source (the scanner finds the literals)', () => {
    expect(ALL.length).toBeGreaterThan(500);
    expect(ALL.some((l) => l.text.includes('GIGI_DATA_DIR'))).toBe(true);
  });

  it('every UPPER_CASE name with a variable prefix in a string of src/ or machines/ is a setting', () => {
    expect(wrongVariables(ALL)).toEqual([]);
  });

  it('every `gigi-boot COMMAND --flag` in a string names a command and flags the CLI has', () => {
    expect(wrongCommands(ALL)).toEqual([]);
  });

  it('the scanners catch the names that once slipped through', () => {
    expect(namedVariables('Choose another organization name (GITEA_ORG_NAME)')).toEqual(['GITEA_ORG_NAME']);
    expect(VALID.has('GITEA_ORG_NAME')).toBe(false);
    expect(namedVariables('set a different email (e.g. GITEA_ADMIN_EMAIL)')).toEqual(['GITEA_ADMIN_EMAIL']);
    expect(namedVariables('APP_DATA_PATH and HTTP_PORT are app.ini keys')).toEqual([]);
    expect(namedCommands('run `gigi-boot reset --form STEP` then `gigi-boot rerun`')).toEqual([
      { command: 'reset', flags: ['form'] },
      { command: 'rerun', flags: [] },
    ]);
    expect(namedCommands('as root, gigi-boot runs as uid 0; a gigi-boot bug')).toEqual([]);
    expect(namedCommands('gigi-boot pid=12 host=abc')).toEqual([]);
    expect(namedCommands('gigi-boot frobnicate: wrote x')).toEqual([{ command: 'frobnicate', flags: [] }]);
    expect(namedCommands('Usage: gigi-boot inspect [--blame] [--json]')).toEqual([
      { command: 'inspect', flags: ['blame', 'json'] },
    ]);
  });

  it('every README.md or docs/*.md a string of src/ or machines/ points to exists, with its #heading', () => {
    expect(wrongDocs(ALL)).toEqual([]);
  });

  it('fails on the wrong hints as they once stood in the source, and passes them fixed', () => {
    // src/gitea/ensure.ts and src/gitea/cli.ts before def4414, and a made-up command and document.
    const before = literalsOf(
      'hints.ts',
      [
        "const org = { hint: 'Choose another organization name (GITEA_ORG_NAME) or rename that user.' };",
        'const email = (o: { email: string; username: string }) =>',
        '  `Another Gitea account already uses ${o.email}: set a different email for "${o.username}" (e.g. GITEA_ADMIN_EMAIL) or remove that account.`;',
        "const retry = 'run `gigi-boot retry --step createOrg`, see docs/recovery.md and README.md#troubleshooting';",
      ].join('\n'),
    );
    expect(wrongVariables(before)).toEqual(['hints.ts:1: GITEA_ORG_NAME', 'hints.ts:3: GITEA_ADMIN_EMAIL']);
    expect(wrongCommands(before)).toEqual(['hints.ts:4: gigi-boot retry']);
    expect(wrongDocs(before)).toEqual([
      'hints.ts:4: docs/recovery.md',
      'hints.ts:4: README.md#troubleshooting',
    ]);

    const after = literalsOf(
      'hints.ts',
      [
        "const org = { hint: 'Choose another organization name (ORG_NAME) or rename that user.' };",
        "const email = 'set ADMIN_EMAIL to another address';",
        "const reset = 'run `gigi-boot reset --from createOrg`, see docs/configuration.md and README.md#configuration';",
      ].join('\n'),
    );
    expect([...wrongVariables(after), ...wrongCommands(after), ...wrongDocs(after)]).toEqual([]);
  });
});
