// The CLI: a table of commands, each lazy-loaded, and the one error boundary that maps error
// classes to exit codes. Nothing runs on import; process.exit is never called here.
import { parseArgs } from 'node:util';
import { isBootError } from '../errors.ts';
import { processRedactor } from '../log/process-redactor.ts';
import { EXIT } from './exit-codes.ts';

interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'boolean' | 'string'; short?: string }>;
  load: () => Promise<{ execute(flags: Record<string, string | boolean | undefined>): Promise<number> }>;
}

/** Exported for the test that every message names only commands and flags that exist. */
export const COMMANDS: Record<string, Command> = {
  run: {
    summary: 'Bootstrap this container (the entrypoint); resumes an interrupted boot',
    usage: 'gigi-boot run [--no-handoff]',
    options: { 'no-handoff': { type: 'boolean' } },
    load: () => import('../commands/run.ts'),
  },
  inspect: {
    summary: 'Show the persisted boot: status, steps, timings, errors, config keys (redacted)',
    usage:
      'gigi-boot inspect [--blame|--critical-path|--history|--follow [--timeout DURATION]] [--json] [--reveal]',
    options: {
      json: { type: 'boolean' },
      reveal: { type: 'boolean' },
      blame: { type: 'boolean' },
      history: { type: 'boolean' },
      follow: { type: 'boolean' },
      'critical-path': { type: 'boolean' },
      timeout: { type: 'string' },
    },
    load: () => import('../commands/inspect.ts'),
  },
  reset: {
    summary:
      'Make the next boot run STEP and every step after it again (recorded in the journal); --database: bind this volume to this database',
    usage: 'gigi-boot reset --from STEP [--reason TEXT] | --database',
    options: { from: { type: 'string' }, reason: { type: 'string' }, database: { type: 'boolean' } },
    load: () => import('../commands/reset.ts'),
  },
  check: {
    summary:
      'Validate the environment as `run` would (config, *_FILE secrets, GITEA__*, preflight) and print the effective configuration, secrets redacted; writes nothing',
    usage: 'gigi-boot check [--json]',
    options: { json: { type: 'boolean' } },
    load: () => import('../commands/check.ts'),
  },
  visualize: {
    summary: 'Draw the boot machine (Graphviz) with the latest run on it: an offline HTML/SVG file, or live',
    usage: 'gigi-boot visualize [--out FILE.html|.svg] [--serve [--port N]]',
    options: { out: { type: 'string' }, serve: { type: 'boolean' }, port: { type: 'string' } },
    load: () => import('../commands/visualize.ts'),
  },
  demo: {
    summary:
      'A full first boot of a temp data dir against the Gitea simulator with embedded PGlite, then inspect',
    usage: 'gigi-boot demo [--keep]',
    options: { keep: { type: 'boolean' } },
    load: () => import('../commands/demo.ts'),
  },
};

function usage(): string {
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(40)} ${c.summary}`);
  return ['Usage:', ...lines, '', 'Exit codes and configuration: see README.md'].join('\n');
}

/** Parse argv, run the command, and turn any error into a message and an exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    (name ? process.stdout : process.stderr).write(`${usage()}\n`);
    return name ? EXIT.ok : EXIT.config;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`gigi-boot: unknown command "${name}"\n${usage()}\n`);
    return EXIT.config;
  }
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    process.stderr.write(`gigi-boot ${name}: ${(error as Error).message}\nUsage: ${command.usage}\n`);
    return EXIT.config;
  }
  try {
    const module = await command.load();
    return await module.execute(flags);
  } catch (error) {
    return reportError(error);
  }
}

/** Every line the boundary prints passes through the process redactor: no secret on stderr. */
function printError(text: string): void {
  process.stderr.write(processRedactor.redact(text));
}

function reportError(error: unknown): number {
  // The brand, not instanceof: the CLI may hold a second copy of the errors module (bundle + tsx).
  if (isBootError(error) && error.domain === 'config') {
    printError(`gigi-boot: ${error.message}\n${error.hint ? `  → ${error.hint}\n` : ''}`);
    return EXIT.config;
  }
  if (isBootError(error) && error.domain !== 'internal') {
    printError(`gigi-boot: ${error.message}\n${error.hint ? `  → ${error.hint}\n` : ''}`);
    return error.domain === 'lock' ? EXIT.lockTimeout : EXIT.failed;
  }
  const version = process.env.npm_package_version ?? '';
  printError(
    `gigi-boot: internal error — please report it with this output${version ? ` (version ${version})` : ''}\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  return EXIT.internal;
}
