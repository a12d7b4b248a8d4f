// On a TTY, the operator reads steps, not JSON: this stream takes pino's JSON lines and prints a
// step-by-step view. Off a TTY (docker logs, CI) the JSON lines go out unchanged.
import { Writable } from 'node:stream';

const ICON: Record<string, string> = { 'step.start': '…', 'step.done': '✓', 'step.error': '✗' };

function line(entry: Record<string, unknown>): string | null {
  const msg = typeof entry.msg === 'string' ? entry.msg : '';
  const event = typeof entry.event === 'string' ? entry.event : '';
  const step = typeof entry.step === 'string' ? entry.step : '';
  if (event === 'step.start') return `${ICON[event]} ${step} (attempt ${String(entry.attempt)})`;
  if (event === 'step.done')
    return `${ICON[event]} ${step.padEnd(20)} ${String(entry.outcome)}  ${String(entry.durationMs)} ms`;
  if (event === 'step.error')
    return `${ICON[event]} ${step.padEnd(20)} ${msg}${entry.transient ? '  (will retry)' : ''}`;
  const level = typeof entry.level === 'string' ? entry.level : 'info';
  if (level === 'debug' || level === 'trace') return null;
  return `${level === 'info' ? '' : `${level.toUpperCase()}: `}${msg || event}`;
}

/** A Writable for pino that renders progress lines on `out`. */
export function createProgressView(out: NodeJS.WritableStream): Writable {
  let buffer = '';
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      buffer += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const raw = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          const text = line(JSON.parse(raw) as Record<string, unknown>);
          if (text !== null) out.write(`${text}\n`);
        } catch {
          out.write(`${raw}\n`);
        }
      }
      callback();
    },
  });
}
