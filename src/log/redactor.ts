// Every secret value gigi-boot learns (from the environment, generated, or read back from the
// config table) is registered here; everything that leaves the process — log lines, error
// messages, journal rows, inspect output — goes through redact(). Known values are replaced,
// whatever the field they appear in, which pino's path-based `redact` cannot do.

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not registered: replacing "ab" everywhere would mangle output. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Register values to hide from now on (empty and very short values are ignored). */
  add(...values: Array<string | undefined | null>): void {
    for (const value of values) {
      if (typeof value === 'string' && value.length >= MIN_SECRET_LENGTH) this.#secrets.add(value);
    }
  }

  get size(): number {
    return this.#secrets.size;
  }

  /** Replace every registered secret in a string (longest first, so overlapping values are fully hidden). */
  redact(text: string): string {
    if (this.#secrets.size === 0) return text;
    let out = text;
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** Deep-redact a JSON-like value (strings anywhere inside objects and arrays). */
  redactDeep<T>(value: T): T {
    if (typeof value === 'string') return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v: unknown) => this.redactDeep(v)) as T;
    if (value instanceof Error) {
      const copy = new Error(this.redact(value.message));
      copy.name = value.name;
      return copy as T;
    }
    if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redactDeep(v)])) as T;
    }
    return value;
  }
}
