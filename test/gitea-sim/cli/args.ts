// Command-line parsing with urfave/cli v2 (Go `flag`) semantics: `-f`, `--f`, `--f=v`,
// `--f v` for non-bool flags, parsing stops at the first positional argument.

export type FlagType = 'string' | 'bool' | 'int';

export interface FlagSpec {
  name: string;
  aliases?: string[];
  type: FlagType;
  default?: string;
}

export class UsageError extends Error {}

export interface ParsedFlags {
  values: Map<string, string>;
  positional: string[];
}

/** Go's strconv.ParseBool. */
export function parseGoBool(value: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return undefined;
}

/** Parse flags until the first positional; why: mirrors where urfave/cli stops. */
export function parseFlags(args: string[], specs: FlagSpec[], into?: Map<string, string>): ParsedFlags {
  const values = into ?? new Map<string, string>();
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const spec = specs.find((s) => s.name === name || s.aliases?.includes(name));
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    let value: string;
    if (eq !== -1) value = body.slice(eq + 1);
    else if (spec.type === 'bool') value = 'true';
    else {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
      value = args[++i]!;
    }
    if (spec.type === 'bool' && parseGoBool(value) === undefined)
      throw new UsageError(`invalid boolean value "${value}" for -${name}: parse error`);
    if (spec.type === 'int' && !/^[+-]?\d+$/.test(value))
      throw new UsageError(`invalid value "${value}" for flag -${name}: parse error`);
    values.set(spec.name, value);
  }
  return { values, positional: args.slice(i) };
}

/** Typed access to parsed flags with defaults, like urfave's c.String / c.Bool / c.IsSet. */
export class FlagValues {
  constructor(
    private readonly values: Map<string, string>,
    private readonly specs: FlagSpec[],
  ) {}

  isSet(name: string): boolean {
    return this.values.has(name);
  }

  string(name: string): string {
    return this.values.get(name) ?? this.specs.find((s) => s.name === name)?.default ?? '';
  }

  bool(name: string): boolean {
    return parseGoBool(this.string(name)) ?? false;
  }

  int(name: string): number {
    return Number.parseInt(this.string(name) || '0', 10);
  }
}

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'config', aliases: ['c'], type: 'string' },
  { name: 'work-path', aliases: ['w'], type: 'string' },
  { name: 'custom-path', aliases: ['C'], type: 'string' },
  { name: 'help', aliases: ['h'], type: 'bool' },
  { name: 'version', aliases: ['v'], type: 'bool' },
];
