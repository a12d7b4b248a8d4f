// Checks an API response against openapi-subset.json (Gitea 1.24.7's swagger, trimmed): the
// status must be declared for the path+method, or be an error the contract documents; the
// body must match the declared schema (every declared property present, with its type) or
// one of the contract's error shapes (a) {message,url}, (b) {message,url,errors}, (d) {message}.
import { readFileSync } from 'node:fs';

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  enum?: string[];
  format?: string;
  required?: string[];
}

interface Operation {
  responses: Record<string, { $ref?: string }>;
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  definitions: Record<string, Schema>;
  responses: Record<string, { schema?: Schema; headers?: unknown }>;
}

const spec = JSON.parse(readFileSync(new URL('./openapi-subset.json', import.meta.url), 'utf8')) as Spec;

/** Statuses Gitea sends on any API route without declaring them in swagger (CONTRACT §I.2). */
const UNDECLARED_ERRORS = [400, 401, 403, 404, 405, 422, 500];

function templateFor(apiPath: string): string | undefined {
  const parts = apiPath.split('/');
  return Object.keys(spec.paths).find((tpl) => {
    const t = tpl.split('/');
    return t.length === parts.length && t.every((seg, i) => seg.startsWith('{') || seg === parts[i]);
  });
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Validate a value; errors are collected as `path: problem`. */
function check(value: unknown, schema: Schema, at: string, errors: string[], nullable = false): void {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/definitions/', '');
    const def = spec.definitions[name];
    if (!def) {
      errors.push(`${at}: unknown definition ${name}`);
      return;
    }
    if (value === null && nullable) return;
    check(value, def, at, errors);
    return;
  }
  const t = typeOf(value);
  switch (schema.type) {
    case 'object': {
      if (t !== 'object') {
        errors.push(`${at}: expected object, got ${t}`);
        return;
      }
      const obj = value as Record<string, unknown>;
      for (const [key, prop] of Object.entries(schema.properties ?? {})) {
        if (!(key in obj)) errors.push(`${at}.${key}: missing`);
        else check(obj[key], prop, `${at}.${key}`, errors, true);
      }
      if (schema.additionalProperties)
        for (const [key, v] of Object.entries(obj))
          if (!schema.properties?.[key]) check(v, schema.additionalProperties, `${at}.${key}`, errors);
      return;
    }
    case 'array':
      if (t !== 'array') errors.push(`${at}: expected array, got ${t}`);
      else (value as unknown[]).forEach((item, i) => check(item, schema.items ?? {}, `${at}[${i}]`, errors));
      return;
    case 'integer':
      if (t !== 'integer') errors.push(`${at}: expected integer, got ${t}`);
      return;
    case 'boolean':
      if (t !== 'boolean') errors.push(`${at}: expected boolean, got ${t}`);
      return;
    case 'string':
      if (t !== 'string') {
        errors.push(`${at}: expected string, got ${t}`);
        return;
      }
      if (schema.enum && !schema.enum.includes(value as string))
        errors.push(`${at}: ${String(value)} not in enum`);
      if (
        schema.format === 'date-time' &&
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value as string)
      )
        errors.push(`${at}: not an RFC3339 date-time: ${String(value)}`);
      return;
    default:
      return;
  }
}

/** Error body shapes of CONTRACT §I.1. */
export function errorShapeProblems(body: unknown): string[] {
  if (typeOf(body) !== 'object') return [`error body is ${typeOf(body)}, not an object`];
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (typeof b.message !== 'string') return ['error body has no string message'];
  if (keys === 'message') return []; // (d)
  if (typeof b.url !== 'string') return ['error body url is not a string'];
  if (keys === 'message,url') return []; // (a), (c)
  if (
    keys === 'errors,message,url' &&
    (b.errors === null || (Array.isArray(b.errors) && b.errors.every((e) => typeof e === 'string')))
  )
    return []; // (b)
  return [`error body has unexpected keys: ${keys}`];
}

export interface ApiResponseSample {
  method: string;
  path: string; // below /api/v1, e.g. /users/gigi/tokens (query string ignored)
  status: number;
  body: unknown; // parsed JSON, or undefined for an empty body
}

/** Every way the response departs from the spec and the contract; [] when it conforms. */
export function validateResponse(sample: ApiResponseSample): string[] {
  const path = sample.path.split('?')[0]!.replace(/\/+$/, '') || '/';
  const tpl = templateFor(path);
  if (!tpl) return [`${path}: not a path of openapi-subset.json`];
  const op = spec.paths[tpl]![sample.method.toLowerCase()];
  if (!op) return [`${sample.method} ${tpl}: method not in openapi-subset.json`];
  const declared = op.responses[String(sample.status)];
  const where = `${sample.method} ${tpl} ${sample.status}`;
  if (!declared) {
    if (!UNDECLARED_ERRORS.includes(sample.status)) return [`${where}: status not declared`];
    return errorShapeProblems(sample.body).map((p) => `${where}: ${p}`);
  }
  const response = spec.responses[(declared.$ref ?? '').replace('#/responses/', '')];
  if (!response) return [`${where}: unknown response ${declared.$ref}`];
  if (sample.status === 204) return sample.body === undefined ? [] : [`${where}: 204 with a body`];
  if (!response.schema) {
    // error/forbidden/validationError/notFound: the real server sends a JSON error body
    return sample.status >= 400 ? errorShapeProblems(sample.body).map((p) => `${where}: ${p}`) : [];
  }
  const errors: string[] = [];
  check(sample.body, response.schema, 'body', errors);
  return errors.map((e) => `${where}: ${e}`);
}
