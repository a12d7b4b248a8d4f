// The boot's logger: pino JSON lines (one event per line, `event` names what happened), with
// every string passed through the Redactor first, so no secret reaches a log line even when
// it hides inside an error message from Gitea or Postgres.
import { pino } from 'pino';
import type { LogEventAt } from './events.ts';
import type { Redactor } from './redactor.ts';

/**
 * The boot's logger: pino, typed so that each level takes only the events of that level
 * (src/log/events.ts) with exactly their fields, and a message for the operator.
 */
export interface Logger {
  debug(entry: LogEventAt<'debug'>, msg: string): void;
  info(entry: LogEventAt<'info'>, msg: string): void;
  warn(entry: LogEventAt<'warn'>, msg: string): void;
  error(entry: LogEventAt<'error'>, msg: string): void;
}

export interface LoggerOptions {
  redactor: Redactor;
  /** Where JSON lines go (default stdout). */
  destination?: NodeJS.WritableStream;
  level?: string;
}

/** A pino logger whose every field and message is scrubbed of registered secrets. */
export function createLogger({ redactor, destination, level = 'info' }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      // Errors become { type, message, hint, domain }: operators act on the message, not a stack.
      serializers: { err: serialiseError },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactor.redactDeep(serialiseErrors(object)),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a: unknown) => (typeof a === 'string' ? redactor.redact(a) : a));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    (destination ?? pino.destination({ fd: 1, sync: true })) as pino.DestinationStream,
  );
}

function serialiseError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const e = value as Error & { hint?: unknown; domain?: unknown };
  return { type: e.name, message: e.message, hint: e.hint, domain: e.domain };
}

/** Errors anywhere at the top level (not only under `err`) are serialised the same way. */
function serialiseErrors(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, serialiseError(v)]));
}
