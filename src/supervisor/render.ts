// Renders the effective supervisord.conf from a program list (no sed on a template): values
// are quoted per supervisord's rules, so a URL with a comma or quote cannot break the file.
import type { Program } from './programs.ts';

export interface SupervisordSettings {
  logDir: string;
  socketPath: string;
  pidFile: string;
}

/** Quote a value for supervisord's `environment=` (double quotes, backslash-escaped). */
function quoteEnv(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/** supervisord expands %(...)s in most values: escape literal percent signs. */
function escapePercent(value: string): string {
  return value.replace(/%/g, '%%');
}

/** The whole supervisord.conf for these programs. */
export function renderSupervisordConf(programs: Program[], s: SupervisordSettings): string {
  const lines = [
    '; Rendered by gigi-boot on every boot: edit the deployment env, not this file.',
    '[supervisord]',
    'nodaemon=true',
    'user=root',
    `logfile=${s.logDir}/supervisord.log`,
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
  for (const p of programs) {
    lines.push('', `[program:${p.name}]`, `command=${escapePercent(p.command)}`, `priority=${p.priority}`);
    if (p.user) lines.push(`user=${p.user}`);
    if (p.directory) lines.push(`directory=${escapePercent(p.directory)}`);
    const env = Object.entries(p.environment).filter(([, v]) => v !== '');
    if (env.length > 0) lines.push(`environment=${env.map(([k, v]) => `${k}=${quoteEnv(v)}`).join(',')}`);
    lines.push(
      'autostart=true',
      'autorestart=true',
      'startretries=5',
      `stdout_logfile=${s.logDir}/${p.name}.log`,
      'redirect_stderr=true',
      'stopasgroup=true',
      'killasgroup=true',
    );
    if (p.stopwaitsecs !== undefined) lines.push(`stopwaitsecs=${p.stopwaitsecs}`);
  }
  return `${lines.join('\n')}\n`;
}
