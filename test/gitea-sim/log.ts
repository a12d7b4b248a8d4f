// Gitea's console logger format: `YYYY/MM/DD HH:MM:SS file.go:NN:func() [L] msg`, on stdout.
import { writeSync } from 'node:fs';

export type LogLevel = 'I' | 'W' | 'E' | 'F' | 'C';

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function timestamp(d = new Date()): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** One log line on stdout; `where` mimics Gitea's `file.go:line:func()` caller tag. */
export function log(level: LogLevel, where: string, message: string): void {
  writeSync(1, `${timestamp()} ${where} [${level}] ${message}\n`);
}

/** log.Fatal: the message at [F] on stdout, then exit 1, exactly as Gitea's console logger. */
export function fatal(where: string, message: string): never {
  log('F', where, message);
  process.exit(1);
}
