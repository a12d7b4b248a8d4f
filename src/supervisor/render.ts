// Renders the effective supervisord.conf from a program list (no sed on a template): values
// are quoted per supervisord's rules, so a URL with a comma or quote cannot break the file.
import { ConfigError, InternalError } from '../errors.ts';
import type { Program } from './programs.ts';

export interface SupervisordSettings {
  logDir: string;
  socketPath: string;
  pidFile: string;
  /** `user=root` in [supervisord]: only when supervisord is started as root. */
  runsAsRoot: boolean;
}

/** Why: preflight refuses such a value before anything is written; the renderer checks again. */
export function supervisordCanPass(value: string): boolean {
  const quote = value.includes('"') ? "'" : '"';
  return !(value.includes(quote) || /^['"]|['"]$/.test(value) || /[\r\n]/.test(value));
}

/**
 * Quote a value for supervisord's `environment=`. Its parser (non-POSIX shlex) knows no escapes:
 * a value is wrapped in the quote it does not contain, and strips quotes at both ends.
 */
function quoteEnv(name: string, value: string): string {
  const quote = value.includes('"') ? "'" : '"';
  if (!supervisordCanPass(value))
    throw new ConfigError([
      `${name}: supervisord cannot pass this value to the programs (a newline, both quote kinds, or a quote at either end); use a value without them`,
    ]);
  return `${quote}${value.replace(/%/g, '%%')}${quote}`;
}

/** supervisord expands %(...)s in most values: escape literal percent signs. */
function escapePercent(value: string): string {
  return value.replace(/%/g, '%%');
}

/** A value on one line: a newline would start a new ini key. */
function oneLine(name: string, value: string): string {
  if (/[\r\n]/.test(value))
    throw new InternalError(
      `supervisord ${name} must be one line; the settings validation let a newline through`,
    );
  return value;
}

function programLines(p: Program, s: SupervisordSettings): string[] {
  const section = p.events ? `eventlistener:${p.name}` : `program:${p.name}`;
  const lines = [
    `[${section}]`,
    `command=${escapePercent(oneLine('command', p.command))}`,
    `priority=${p.priority}`,
  ];
  if (p.events) lines.push(`events=${p.events.join(',')}`, 'buffer_size=100');
  if (p.user) lines.push(`user=${p.user}`);
  if (p.directory) lines.push(`directory=${escapePercent(oneLine('directory', p.directory))}`);
  const env = Object.entries(p.environment).filter(([, v]) => v !== '');
  if (env.length > 0) lines.push(`environment=${env.map(([k, v]) => `${k}=${quoteEnv(k, v)}`).join(',')}`);
  lines.push(
    'autostart=true',
    'autorestart=true',
    `startretries=${p.startretries ?? 5}`,
    'stopasgroup=true',
    'killasgroup=true',
  );
  if (p.stopwaitsecs !== undefined) lines.push(`stopwaitsecs=${p.stopwaitsecs}`);
  if (p.events) {
    // An event listener's stdout is the protocol channel: its messages go to stderr.
    lines.push(
      p.logToConsole ? 'stderr_logfile=/dev/stderr' : `stderr_logfile=${s.logDir}/${p.name}.log`,
      'stderr_logfile_maxbytes=0',
    );
  } else if (p.logToConsole) {
    lines.push('stdout_logfile=/dev/stdout', 'stdout_logfile_maxbytes=0', 'redirect_stderr=true');
  } else {
    lines.push(
      `stdout_logfile=${s.logDir}/${p.name}.log`,
      'stdout_logfile_maxbytes=10MB',
      'redirect_stderr=true',
    );
  }
  return lines;
}

/** The whole supervisord.conf for these programs. */
export function renderSupervisordConf(programs: Program[], s: SupervisordSettings): string {
  const lines = [
    '; Rendered by gigi-boot on every boot: edit the deployment env, not this file.',
    '[supervisord]',
    'nodaemon=true',
    ...(s.runsAsRoot ? ['user=root'] : []),
    `logfile=${s.logDir}/supervisord.log`,
    `childlogdir=${s.logDir}`,
    `pidfile=${s.pidFile}`,
    '',
    '[unix_http_server]',
    `file=${s.socketPath}`,
    'chmod=0700',
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${s.socketPath}`,
  ];
  for (const p of programs) lines.push('', ...programLines(p, s));
  return `${lines.join('\n')}\n`;
}
