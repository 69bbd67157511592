/**
 * Attack: bad input at every route of the server's own OpenAPI description. Malformed
 * ids (control bytes, NUL, traversal, very long, unicode, empty), numbers out of range,
 * wrong JSON types, missing and extra fields and oversize bodies must each get a 4xx
 * that says what was wrong — never a 5xx from a value that reached the database as-is.
 * Runs on PGlite, and on PostgreSQL in `scripts/test` (TEST_DATABASE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { oneCommitBundle } from '../../src/git/test-repo.js';
import { openTestApp, type TestApp } from '../../src/server/test-app.js';

/** The part of JSON Schema (as @hono/zod-openapi writes it) the generators read. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  oneOf?: Schema[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

interface Route {
  method: string;
  path: string;
  op: Operation;
}

interface Attempt {
  method: string;
  url: string;
  body?: string | Uint8Array;
  contentType?: string;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** Bounded so the whole file stays well under a minute, PostgreSQL pass included. */
const RUNS = 20;
const MAX_BUNDLE_BYTES = 64 * 1024;
/** The JSON body limit in src/server/app.ts (1 MiB). */
const MAX_JSON_BODY = 1024 * 1024;

// Set up at collection time: the routes to test come from the live description.
const t: TestApp = await openTestApp({ sessions: true, maxBundleBytes: MAX_BUNDLE_BYTES });
afterAll(async () => {
  await t.close();
});
const doc = (await (await t.request('GET', '/openapi.json')).json()) as Doc;
/** Ids that exist, so fuzzed bodies also reach the queries behind a found row. */
const known = await knownIds();

async function knownIds(): Promise<string[]> {
  const env = await ok<{ id: string }>(
    t.request('POST', '/api/v1/environments', { body: { name: 'fuzz' } }),
  );
  const repo = mkdtempSync(join(tmpdir(), 'hangar-fuzz-'));
  const bundleBytes = oneCommitBundle(repo);
  rmSync(repo, { recursive: true, force: true });
  const bundle = await ok<{ id: string }>(
    t.request('POST', '/api/v1/bundles', {
      raw: bundleBytes,
      contentType: 'application/octet-stream',
    }),
  );
  const session = await ok<{ id: string }>(
    t.request('POST', '/api/v1/sessions', {
      body: { prompt: 'fuzz', source: { type: 'bundle', bundleId: bundle.id } },
    }),
  );
  return [env.id, bundle.id, session.id];
}

async function ok<T>(response: Promise<Response>): Promise<T> {
  const res = await response;
  const text = await res.text();
  expect(res.status, text).toBeLessThan(300);
  return JSON.parse(text) as T;
}

// --- values an attacker sends -------------------------------------------------------

/** Strings PostgreSQL refuses or a shell, a path or a terminal would misread. */
const nastyStrings = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '\0',
      'ses_\0',
      'a\u0000b',
      '\u0001\u0002\u001b[31m',
      '\r\n\t',
      '\u007f',
      '../../etc/passwd',
      '..',
      '.',
      '%00',
      '%2e%2e%2f',
      '..\\..\\windows',
      '--help',
      '-rf',
      "'; drop table sessions; --",
      '\ud800',
      '\udfff\ud800',
      '\u202eevil',
      '𝔲𝔫𝔦𝔠𝔬𝔡𝔢',
      'ＳＥＳ＿',
      'null',
      'NaN',
      '-1',
      '1e400',
      '99999999999999999999',
    ),
  },
  // A NUL byte somewhere in an otherwise ordinary string.
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))
      .map(([a, b]) => `${a}\0${b}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(101, 256, 2001, 4097, 100_001)
      .chain((n) => fc.constantFrom('a', 'é', '\0', '../').map((s) => s.repeat(n))),
  },
);

const nastyNumbers = fc.oneof(
  fc.constantFrom(
    -1,
    0,
    0.5,
    1.5,
    -0,
    2 ** 31,
    2 ** 31 - 1,
    2 ** 53,
    Number.MAX_SAFE_INTEGER + 2,
    1e308,
    -1e308,
    Number.MIN_VALUE,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Numbers as they arrive in a query string. */
const nastyNumberText = fc.oneof(
  nastyNumbers.map(String),
  fc.constantFrom(
    '2147483648',
    '9223372036854775808',
    '99999999999999999999999999',
    '1e400',
    '0x1f',
    ' 1',
    '1 ',
    '+1',
    '-0',
    'Infinity',
    'NaN',
    '',
  ),
  nastyStrings,
);

const anyJson = fc.jsonValue({ maxDepth: 3 });

function resolve(schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  const found = doc.components?.schemas?.[name];
  if (!found) throw new Error(`the OpenAPI doc has no schema ${schema.$ref}`);
  return resolve(found);
}

function typeOf(schema: Schema): string | undefined {
  if (schema.properties || schema.oneOf || schema.anyOf) return 'object';
  return Array.isArray(schema.type) ? schema.type[0] : schema.type;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** A value of the schema's type: often valid, often nasty (NUL, huge, out of range). */
function value(raw: Schema, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) return fc.oneof(...branches.map((b) => value(b, depth)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (typeOf(schema)) {
    case 'string':
      return fc.oneof(
        { weight: 2, arbitrary: plain(schema) },
        { weight: 1, arbitrary: fc.constantFrom(...known) },
        { weight: 2, arbitrary: nastyStrings },
      );
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 10, 10_000) }),
        nastyNumbers,
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(schema.items && depth < 4 ? value(schema.items, depth + 1) : anyJson, {
        maxLength: 4,
      });
    case 'object': {
      const props = schema.properties ?? {};
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [key, prop] of Object.entries(props)) record[key] = value(prop, depth + 1);
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return anyJson;
  }
}

/**
 * A value the schema accepts as far as its JSON Schema says (ids are known ones), so a
 * request built on it gets past validation and reaches the queries.
 */
function plain(raw: Schema, key = ''): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  const branches = schema.oneOf ?? schema.anyOf;
  if (branches) return fc.oneof(...branches.map((b) => plain(b, key)));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (typeOf(schema)) {
    case 'string':
      if (/id$/i.test(key)) return fc.constantFrom(...known);
      return fc
        .stringMatching(/^[a-z][a-z0-9]*$/)
        .filter((v) => v.length >= (schema.minLength ?? 0) && v.length <= (schema.maxLength ?? 50));
    case 'integer':
    case 'number':
      return fc.integer({ min: schema.minimum ?? 0, max: Math.min(schema.maximum ?? 100, 100) });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.constant([]);
    case 'object': {
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) {
        record[name] = plain(prop, name);
      }
      return fc.record(record, { requiredKeys: schema.required ?? [] });
    }
    default:
      return fc.constant(null);
  }
}

/** An acceptable body with one string or number field replaced by a nasty one. */
function oneNastyField(schema: Schema): fc.Arbitrary<unknown> | undefined {
  const cases = fieldsOf(schema).flatMap(({ path, schema: field }) => {
    const type = typeOf(resolve(field));
    const nasty =
      type === 'string'
        ? nastyStrings
        : type === 'integer' || type === 'number'
          ? nastyNumbers
          : undefined;
    return nasty ? [fc.tuple(plain(schema), nasty).map(([base, v]) => setIn(base, path, v))] : [];
  });
  return cases.length ? fc.oneof(...cases) : undefined;
}

/** A JSON value that is not of the schema's type. */
function wrongType(raw: Schema): fc.Arbitrary<unknown> {
  const schema = resolve(raw);
  // A nullable field is typed [T, 'null']: null is one of its values, not a wrong type.
  const allowed = new Set(Array.isArray(schema.type) ? schema.type : [typeOf(schema)]);
  if (allowed.has('number')) allowed.add('integer');
  return fc
    .oneof(
      fc.constant(null),
      fc.boolean(),
      nastyNumbers,
      nastyStrings,
      fc.array(anyJson, { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 3 }),
    )
    .filter((v) => !allowed.has(jsonType(v)));
}

/** Every field of a body schema, as a path, with its schema (both union branches). */
function fieldsOf(raw: Schema, prefix: string[] = []): { path: string[]; schema: Schema }[] {
  const schema = resolve(raw);
  const out: { path: string[]; schema: Schema }[] = [];
  for (const branch of schema.oneOf ?? schema.anyOf ?? [schema]) {
    for (const [key, prop] of Object.entries(resolve(branch).properties ?? {})) {
      out.push({ path: [...prefix, key], schema: prop });
      out.push(...fieldsOf(prop, [...prefix, key]));
    }
  }
  return out;
}

function isRequired(raw: Schema, path: string[]): boolean {
  let schema = resolve(raw);
  for (const [i, key] of path.entries()) {
    const branch = (schema.oneOf ?? schema.anyOf ?? [schema])
      .map(resolve)
      .find((b) => b.properties?.[key]);
    if (!branch?.required?.includes(key)) return false;
    const next = branch.properties?.[key];
    if (!next) return false;
    if (i < path.length - 1) schema = resolve(next);
  }
  return true;
}

/** The schema of the object that holds `path`'s last field: in a union, the branch that has it. */
function holderOf(raw: Schema, path: string[]): Schema {
  let schema = resolve(raw);
  for (const key of path.slice(0, -1)) {
    const branch = (schema.oneOf ?? schema.anyOf ?? [schema])
      .map(resolve)
      .find((b) => b.properties?.[key]);
    const next = branch?.properties?.[key];
    if (!next) return schema;
    schema = resolve(next);
  }
  const last = path[path.length - 1] ?? '';
  return (
    (schema.oneOf ?? schema.anyOf ?? [schema]).map(resolve).find((b) => b.properties?.[last]) ??
    schema
  );
}

function setIn(body: unknown, path: string[], v: unknown): unknown {
  const root: Record<string, unknown> =
    body && typeof body === 'object' && !Array.isArray(body)
      ? structuredClone(body as Record<string, unknown>)
      : {};
  let at = root;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last === undefined) return root;
  if (v === undefined) Reflect.deleteProperty(at, last);
  else at[last] = v;
  return root;
}

/** A body the schema rejects, and the field that makes it so: the error must name it. */
interface Broken {
  body: unknown;
  field: string;
  path: string[];
  kind: string;
}

function broken(schema: Schema): fc.Arbitrary<Broken> | undefined {
  const fields = fieldsOf(schema);
  const cases: fc.Arbitrary<Broken>[] = [];
  for (const { path, schema: field } of fields) {
    const name = path[path.length - 1] ?? '';
    cases.push(
      fc.tuple(plain(schema), wrongType(field)).map(([base, bad]) => ({
        body: setIn(base, path, bad),
        field: name,
        path,
        kind: 'wrong type',
      })),
    );
    const enumValues = resolve(field).enum;
    if (enumValues) {
      cases.push(
        fc
          .tuple(
            plain(schema),
            nastyStrings.filter((s) => !enumValues.includes(s)),
          )
          .map(([base, bad]) => ({
            body: setIn(base, path, bad),
            field: name,
            path,
            kind: 'not one of the values',
          })),
      );
    }
    if (isRequired(schema, path)) {
      // The object holding the field is of the union branch that requires it (a bundle
      // source has no `url` to miss).
      const parent = path.slice(0, -1);
      const holder = holderOf(schema, path);
      cases.push(
        fc
          .tuple(plain(schema), plain(holder))
          .map(([base, held]) => (parent.length ? setIn(base, parent, held) : base))
          .map((base) => ({
            body: setIn(base, path, undefined),
            field: name,
            path,
            kind: 'missing',
          })),
      );
    }
  }
  cases.push(
    fc
      .tuple(
        plain(schema),
        fc.constantFrom('extra', '__proto__x', 'constructor2', 'isAdmin2'),
        anyJson,
      )
      .map(([base, key, v]) => ({
        body: setIn(base, [key], v),
        field: key,
        path: [],
        kind: 'extra field',
      })),
  );
  return cases.length ? fc.oneof(...cases) : undefined;
}

// --- requests -----------------------------------------------------------------------

function operations(): Route[] {
  const list = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
  // Destructive ones last, so the known rows stay for the others.
  const rank = (r: Route) => (r.method === 'DELETE' || /archive$/.test(r.path) ? 1 : 0);
  return list.sort((a, b) => rank(a) - rank(b));
}
const routes = operations();

/** A path segment as sent: encoded, or raw escapes that do not decode (bad UTF-8, a lone `%`). */
const pathValue = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom('', ...known).map(encodePart) },
  { weight: 4, arbitrary: nastyStrings.map(encodePart) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '%',
      '%ff',
      '%C0%AF',
      '%ED%A0%80',
      '..%2f..%2fetc',
      '%2e%2e',
      '%u0000',
    ),
  },
);

/** encodeURIComponent, but a lone surrogate becomes its (invalid) UTF-8 bytes, not a throw. */
function encodePart(text: string): string {
  let out = '';
  for (const char of text) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      const bytes = [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else {
      out += encodeURIComponent(char);
    }
  }
  return out;
}

function pathParams(route: Route): fc.Arbitrary<string> {
  const names = (route.op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
  const record: Record<string, fc.Arbitrary<string>> = {};
  for (const name of names) record[name] = pathValue;
  return fc
    .record(record)
    .map((values) => route.path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? ''));
}

function query(route: Route): fc.Arbitrary<string> {
  const params = (route.op.parameters ?? []).filter((p) => p.in === 'query');
  if (params.length === 0) return fc.constant('');
  const record: Record<string, fc.Arbitrary<string>> = {};
  for (const p of params) {
    const valid = p.schema?.enum
      ? fc.constantFrom(...p.schema.enum.map(String))
      : fc.nat({ max: 1000 }).map(String);
    record[p.name] = fc.oneof(valid, nastyNumberText);
  }
  return fc.record(record, { requiredKeys: [] }).map((values) => {
    const search = new URLSearchParams(values as Record<string, string>).toString();
    return search ? `?${search}` : '';
  });
}

function jsonSchemaOf(route: Route): Schema | undefined {
  return route.op.requestBody?.content?.['application/json']?.schema;
}

function takesBytes(route: Route): boolean {
  return Boolean(route.op.requestBody?.content?.['application/octet-stream']);
}

/** No fuzzed URL may make the server dial out: any that parses as a URL goes to a closed port. */
function offline(text: string): string {
  return text.replace(/\b(?:https?|git|ssh|ftp|file|ext):\/\/[^"]*/gi, 'http://127.0.0.1:9/x.git');
}

function bodies(route: Route): fc.Arbitrary<Pick<Attempt, 'body' | 'contentType'>> {
  if (takesBytes(route)) {
    return fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => ({
        body: b,
        contentType: 'application/octet-stream',
      })),
      fc.constant({ body: '# v2 git bundle\n', contentType: 'application/octet-stream' }),
      fc.constant({ body: undefined, contentType: undefined }),
    );
  }
  const schema = jsonSchemaOf(route);
  if (!schema) return fc.constant({ body: undefined, contentType: undefined });
  const json = (v: unknown) => ({
    body: offline(JSON.stringify(v)),
    contentType: 'application/json',
  });
  const arbs: fc.Arbitrary<Pick<Attempt, 'body' | 'contentType'>>[] = [
    value(schema).map(json),
    anyJson.map(json),
    fc
      .constantFrom('', '{', '{"a":', 'nul', '\0', '[]', '"x"', '{"__proto__":{"isAdmin":true}}')
      .map((body) => ({ body, contentType: 'application/json' })),
    value(schema).map((v) => ({ body: JSON.stringify(v), contentType: 'text/plain' })),
  ];
  const bad = broken(schema);
  if (bad) arbs.push(bad.map((b) => json(b.body)));
  const nasty = oneNastyField(schema);
  if (nasty) arbs.push(nasty.map(json), nasty.map(json));
  return fc.oneof(...arbs);
}

async function send(attempt: Attempt): Promise<Response> {
  return t.request(attempt.method, attempt.url, {
    ...(attempt.body !== undefined ? { raw: attempt.body } : {}),
    ...(attempt.contentType ? { contentType: attempt.contentType } : {}),
  });
}

function describeAttempt(attempt: Attempt, status: number, text: string): string {
  const body =
    typeof attempt.body === 'string'
      ? JSON.stringify(attempt.body.slice(0, 300))
      : attempt.body
        ? `${attempt.body.length} bytes`
        : 'no body';
  return `${attempt.method} ${attempt.url.slice(0, 300)} (${body}) → ${status} ${text.slice(0, 500)}`;
}

/** No 5xx; a 4xx is `{error: {code, message}}`, and an invalid request names its field. */
async function expectClearAnswer(attempt: Attempt): Promise<ErrorBody | undefined> {
  const res = await send(attempt);
  const text = await res.text();
  const where = describeAttempt(attempt, res.status, text);
  expect(res.status, where).toBeLessThan(500);
  if (res.status < 400) return undefined;
  const parsed = JSON.parse(text) as ErrorBody;
  expect(typeof parsed.error?.code, where).toBe('string');
  expect(typeof parsed.error?.message, where).toBe('string');
  expect(String(parsed.error?.message).length, where).toBeGreaterThan(0);
  if (parsed.error?.code === 'invalid_request') {
    expect(fieldsNamed(parsed).length, `names no field: ${where}`).toBeGreaterThan(0);
  }
  return parsed;
}

/** The fields a 400 names: `details.field`, or each issue's `path`. */
function fieldsNamed(body: ErrorBody): string[] {
  const details = body.error?.details as
    { field?: unknown; issues?: { path?: unknown }[] } | undefined;
  const named = [details?.field, ...(details?.issues ?? []).map((i) => i.path)];
  return named.filter((f): f is string => typeof f === 'string' && f.length > 0);
}

// --- the properties -----------------------------------------------------------------

/** A well-formed id for the route's resource (`/sessions/{id}` → a session's), so the body is what fails. */
function idFor(route: Route): string {
  const kind = /\/api\/v1\/(\w{3})\w*\/\{/.exec(route.path)?.[1] ?? '';
  return known.find((id) => id.startsWith(`${kind}_`)) ?? known[0] ?? 'ses_x';
}

function urlOf(route: Route, id: string): string {
  return route.path.replace(/\{\w+\}/g, encodePart(id));
}

describe('every route of /openapi.json under malformed input', () => {
  it('is fuzzed from the live description', () => {
    expect(routes.length).toBeGreaterThan(20);
  });

  for (const route of routes) {
    const name = `${route.method} ${route.path}`;

    it(`${name}: any malformed id, query or body gets a clear 4xx, never a 5xx`, async () => {
      await fc.assert(
        fc.asyncProperty(pathParams(route), query(route), bodies(route), async (path, q, b) => {
          await expectClearAnswer({ method: route.method, url: `${path}${q}`, ...b });
        }),
        { numRuns: RUNS },
      );
    });

    if (route.path.includes('{')) {
      it(`${name}: on a resource that exists, any query or body gets a clear 4xx, never a 5xx`, async () => {
        const url = urlOf(route, idFor(route));
        await fc.assert(
          fc.asyncProperty(query(route), bodies(route), async (q, b) => {
            await expectClearAnswer({ method: route.method, url: `${url}${q}`, ...b });
          }),
          { numRuns: RUNS },
        );
      });
    }

    const schema = jsonSchemaOf(route);
    const bad = schema && broken(schema);
    if (bad) {
      it(`${name}: a body with one bad field gets a 400 naming that field`, async () => {
        await fc.assert(
          fc.asyncProperty(bad, async ({ body, field, path, kind }) => {
            const attempt = {
              method: route.method,
              url: urlOf(route, idFor(route)),
              body: offline(JSON.stringify(body)),
              contentType: 'application/json',
            };
            const answer = await expectClearAnswer(attempt);
            const where = `${kind} ${field}: ${describeAttempt(attempt, 0, JSON.stringify(answer))}`;
            expect(answer?.error?.code, where).toBe('invalid_request');
            const text = JSON.stringify(answer?.error);
            // The field itself, or (for a nested one) the object that holds it.
            expect(
              [field, ...path].some((segment) => text.includes(segment)),
              where,
            ).toBe(true);
          }),
          { numRuns: RUNS },
        );
      });
    }

    if (schema || takesBytes(route)) {
      it(`${name}: an oversize body gets a 413`, async () => {
        const limit = takesBytes(route) ? MAX_BUNDLE_BYTES : MAX_JSON_BODY;
        const body = takesBytes(route)
          ? new Uint8Array(limit + 1)
          : JSON.stringify({ text: 'a'.repeat(limit) });
        const attempt = {
          method: route.method,
          url: urlOf(route, idFor(route)),
          body,
          contentType: takesBytes(route) ? 'application/octet-stream' : 'application/json',
        };
        const answer = await expectClearAnswer(attempt);
        expect(answer?.error?.code, describeAttempt(attempt, 0, '')).toBe('too_large');
      });
    }
  }

  // Teleport's smart-HTTP routes are served beside the OpenAPI ones, not described in it.
  for (const [method, tail] of [
    ['GET', '/git/info/refs?service=git-upload-pack'],
    ['POST', '/git/git-upload-pack'],
    ['POST', '/git/git-receive-pack'],
  ] as const) {
    it(`${method} /api/v1/sessions/{id}${tail}: any malformed id gets a clear 4xx`, async () => {
      await fc.assert(
        fc.asyncProperty(pathValue, async (id) => {
          await expectClearAnswer({ method, url: `/api/v1/sessions/${id}${tail}` });
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('any Authorization header gets a 200 or a clear 401, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          nastyStrings.map((s) => `Bearer ${s}`),
          nastyStrings,
          fc.constantFrom('Bearer', 'Bearer ', 'bearer  x  ', `Basic ${btoa('a:b')}`),
        ),
        async (header) => {
          let res: Response;
          try {
            res = await t.request('GET', '/api/v1/me', { headers: { authorization: header } });
          } catch {
            return; // not a header value fetch can send at all
          }
          const text = await res.text();
          expect(res.status, `${JSON.stringify(header.slice(0, 80))} → ${text}`).toBeLessThan(500);
          if (res.status !== 200) expect(res.status).toBe(401);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
