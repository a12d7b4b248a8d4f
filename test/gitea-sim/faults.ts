// Test-only fault injection, driven by the JSON file named in GITEA_SIM_FAULTS. The file is
// re-read on every use so a test can change faults live; `times` counters live next to it
// (`<file>.counters.json`) so they survive a restart of the simulator.
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

export type FaultRule =
  | {
      id?: string;
      method?: string;
      path: string;
      action: 'status';
      status: number;
      message?: string;
      times?: number;
    }
  | { id?: string; method?: string; path: string; action: 'slow'; delayMs: number; times?: number }
  | { id?: string; method?: string; path: string; action: 'die'; times?: number }
  | { id?: string; method?: string; path: string; action: 'refuse'; times?: number };

export interface CliFault {
  id?: string;
  command: string; // e.g. "admin user create"
  message: string; // printed as `Command error: <message>`
  /** Instead of failing, the command hangs (blocks, never exits) until it is signalled. */
  hang?: boolean;
  times?: number;
}

/**
 * Stop right after a user was stored, before anyone is told: the CLI before it prints its
 * output, the API after the handler committed and before the answer is sent. The process
 * writes its pid to `file` and waits until the test deletes it (kill the caller meanwhile).
 */
export interface HoldPoint {
  id?: string;
  /** `admin user create`, or `<METHOD> <path>` of an API route, e.g. `POST /api/v1/admin/users`. */
  at: string;
  file: string;
  times?: number;
}

export interface FaultsConfig {
  startupDelayMs?: number;
  rules?: FaultRule[];
  cliFaults?: CliFault[];
  holds?: HoldPoint[];
}

function faultsPath(): string | undefined {
  return process.env.GITEA_SIM_FAULTS || undefined;
}

/** The current faults file, or an empty config when unset or missing. */
export function readFaults(): FaultsConfig {
  const path = faultsPath();
  if (!path || !existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as FaultsConfig;
  } catch {
    return {}; // half-written by the test: treat as no faults this time
  }
}

function countersPath(path: string): string {
  return `${path}.counters.json`;
}

function readCounters(path: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(countersPath(path), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

/** Consume one use of a rule with `times`; false when it is used up. */
function consume(key: string, times: number | undefined): boolean {
  const path = faultsPath();
  if (times === undefined || !path) return true;
  const counters = readCounters(path);
  const used = counters[key] ?? 0;
  if (used >= times) return false;
  counters[key] = used + 1;
  const tmp = `${countersPath(path)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(counters));
  renameSync(tmp, countersPath(path));
  return true;
}

/** The first matching HTTP rule that still has uses left (and use it up). */
export function matchRule(method: string, path: string): FaultRule | undefined {
  const rules = readFaults().rules ?? [];
  for (const [index, rule] of rules.entries()) {
    if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
    const matches = rule.path.endsWith('*') ? path.startsWith(rule.path.slice(0, -1)) : rule.path === path;
    if (!matches) continue;
    if (consume(rule.id ?? `rule:${index}`, rule.times)) return rule;
  }
  return undefined;
}

/** The CLI fault for this command, if any is armed (and use it up). */
export function matchCliFault(command: string): CliFault | undefined {
  const faults = readFaults().cliFaults ?? [];
  for (const [index, fault] of faults.entries()) {
    if (fault.command !== command) continue;
    if (!consume(fault.id ?? `cli:${index}`, fault.times)) continue;
    if (fault.hang) hangForever();
    return fault;
  }
  return undefined;
}

/** A CLI stuck on a lock or a dead NFS mount: blocks the thread; only a signal ends the process. */
function hangForever(): never {
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

/** The hold armed for this point, if any (and use it up). */
function matchHold(at: string): HoldPoint | undefined {
  const holds = readFaults().holds ?? [];
  for (const [index, hold] of holds.entries()) {
    if (hold.at !== at) continue;
    if (consume(hold.id ?? `hold:${index}`, hold.times)) return hold;
  }
  return undefined;
}

function announce(hold: HoldPoint): void {
  writeFileSync(hold.file, `${process.pid}\n`);
}

/** Why: the CLI is synchronous; block this process (not a busy loop) until the file is gone. */
export function holdSync(at: string): void {
  const hold = matchHold(at);
  if (!hold) return;
  announce(hold);
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (existsSync(hold.file)) Atomics.wait(cell, 0, 0, 20);
}

/** The web server's hold: other requests keep being served meanwhile. */
export async function holdAsync(at: string): Promise<void> {
  const hold = matchHold(at);
  if (!hold) return;
  announce(hold);
  while (existsSync(hold.file)) await new Promise((r) => setTimeout(r, 20));
}

/** Release a hold by hand (tests): the same as deleting its file. */
export function releaseHold(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* already released */
  }
}
