// Request binding like gitea.com/go-chi/binding as Gitea's bind() uses it: Content-Type
// dispatch, Go-json decoding errors, then the first failing field rule; every failure is a
// 422 `[Fields]: message`.
import type { IncomingMessage } from 'node:http';

export type FieldKind = 'string' | 'bool' | 'int' | 'stringArray' | 'stringMap';

export interface FieldSpec {
  json: string; // JSON key
  go: string; // Go field name, used in messages
  kind: FieldKind;
  rules?: ((value: unknown) => string | null)[]; // returns rule message or null
}

export class BindError extends Error {
  constructor(
    readonly fields: string[],
    message: string,
  ) {
    super(message);
  }

  /** `[UserName]: Required` like fmt's %s of a []string. */
  text(): string {
    return `[${this.fields.join(' ')}]: ${this.message}`;
  }
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function jsonType(v: unknown): string {
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  return 'object';
}

const GO_TYPES: Record<FieldKind, string> = {
  string: 'string',
  bool: 'bool',
  int: 'int64',
  stringArray: '[]string',
  stringMap: 'map[string]string',
};

function decodeField(struct: string, spec: FieldSpec, v: unknown): unknown {
  if (v === null) return undefined;
  const fail = (got: unknown, goType: string, path = spec.json): never => {
    throw new BindError(
      [],
      `json: cannot unmarshal ${jsonType(got)} into Go struct field ${struct}.${path} of type ${goType}`,
    );
  };
  switch (spec.kind) {
    case 'string':
      return typeof v === 'string' ? v : fail(v, 'string');
    case 'bool':
      return typeof v === 'boolean' ? v : fail(v, 'bool');
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? v : fail(v, 'int64');
    case 'stringArray':
      if (!Array.isArray(v)) return fail(v, GO_TYPES.stringArray);
      return v.map((item) => (item === null ? '' : typeof item === 'string' ? item : fail(item, 'string')));
    case 'stringMap': {
      if (typeof v !== 'object' || Array.isArray(v)) return fail(v, GO_TYPES.stringMap);
      const out: Record<string, string> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        if (item === null) out[k] = '';
        else if (typeof item === 'string') out[k] = item;
        else fail(item, 'string', `${spec.json}`);
      }
      return out;
    }
  }
}

function syntaxMessage(body: string, error: unknown): string {
  const trimmed = body.trim();
  if (/Unexpected end/.test(String(error)) || trimmed.endsWith(',') || /^[[{]/.test(trimmed))
    return 'unexpected EOF';
  const ch = trimmed[0] ?? '';
  return `invalid character '${ch}' looking for beginning of value`;
}

/** Bind a request body to a struct spec; throws BindError. */
export async function bindJson(
  req: IncomingMessage,
  struct: string,
  fields: FieldSpec[],
): Promise<Record<string, unknown>> {
  const contentType = req.headers['content-type'] ?? '';
  const body = await readBody(req);
  if (contentType === '') throw new BindError([], 'Empty Content-Type');
  if (!contentType.includes('json')) {
    if (contentType.includes('form-urlencoded') || contentType.includes('multipart/form-data'))
      return validate(formValues(body, fields), fields);
    throw new BindError([], 'Unsupported Content-Type');
  }
  const out: Record<string, unknown> = {};
  if (body.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new BindError([], syntaxMessage(body, error));
    }
    if (parsed !== null) {
      if (typeof parsed !== 'object' || Array.isArray(parsed))
        throw new BindError(
          [],
          `json: cannot unmarshal ${jsonType(parsed)} into Go value of type structs.${struct}`,
        );
      for (const spec of fields) {
        const key = Object.keys(parsed).find((k) => k.toLowerCase() === spec.json.toLowerCase());
        if (key !== undefined)
          out[spec.json] = decodeField(struct, spec, (parsed as Record<string, unknown>)[key]);
      }
    }
  }
  return validate(out, fields);
}

function formValues(body: string, fields: FieldSpec[]): Record<string, unknown> {
  const params = new URLSearchParams(body);
  const out: Record<string, unknown> = {};
  for (const spec of fields) {
    if (spec.kind === 'string' && params.has(spec.json)) out[spec.json] = params.get(spec.json);
    if (spec.kind === 'bool' && params.has(spec.json)) out[spec.json] = params.get(spec.json) === 'true';
    if (spec.kind === 'int' && params.has(spec.json)) out[spec.json] = Number(params.get(spec.json)) || 0;
    if (spec.kind === 'stringArray' && params.has(spec.json)) out[spec.json] = params.getAll(spec.json);
  }
  return out;
}

function validate(out: Record<string, unknown>, fields: FieldSpec[]): Record<string, unknown> {
  for (const spec of fields) {
    for (const rule of spec.rules ?? []) {
      const msg = rule(out[spec.json]);
      if (msg) throw new BindError([spec.go], msg);
    }
  }
  return out;
}

/** binding:"Required": empty string, nil map, empty slice fail. */
export const required = (v: unknown): string | null =>
  v === undefined || v === '' || (Array.isArray(v) && v.length === 0) ? 'Required' : null;

export const maxSize =
  (n: number) =>
  (v: unknown): string | null =>
    typeof v === 'string' && [...v].length > n ? 'MaxSize' : null;

export const oneOf =
  (values: string[]) =>
  (v: unknown): string | null =>
    typeof v === 'string' && !values.includes(v) ? 'In' : null;
