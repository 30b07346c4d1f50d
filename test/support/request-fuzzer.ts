import { UUID_PATTERN } from '../../src/common/pipes/parse-id.pipe';
import {
  EDGE_HEADER_VALUES,
  EDGE_NUMBERS,
  EDGE_STRINGS,
  MAX_STRING_LENGTH,
  RawJson,
  VALUES_BY_TYPE,
  conformingValue,
  headerSafe,
  jsonTypeOf,
  toJsonText,
} from './fuzz-values';
import { forgeJwt } from './jwt-forge';
import { OpenApiDocument, Operation, operationName, parametersOf, requestBodySchema, resolveSchema, Schema, securityOf } from './openapi-document';
import { Rng } from './prng';

/** What the generator knows about the service under test. */
export interface FuzzTarget {
  /** Valid access tokens of the tenant under test (an admin's, a member's). */
  bearerTokens: string[];
  /** An access token of a session that was logged out. */
  revokedToken: string;
  platformToken: string;
  /** The service's JWT secret: tokens with a valid signature but bad claims are the sharpest forgeries. */
  jwtSecret: string;
  ownTenant: { id: string; slug: string };
  otherTenant: { id: string; slug: string };
  /** A real id of the tenant under test, by the path segment before the parameter (`products`, `wallets`, `items`). */
  ownIds: Record<string, string>;
  /** Ids of the other tenant's resources: never visible here. */
  foreignIds: string[];
  /** BODY_LIMIT_BYTES of the service. */
  bodyLimit: number;
  /** Well-formed bodies refused for what they mean (unknown credentials, a taken slug...), by operation name. */
  refusedBodies?: Record<string, RefusedBody>;
}

/**
 * A body the service must refuse for its meaning. Noise may change every
 * member but those in `keep` (the ones that make it a refusal), so that odd
 * values reach the service and the database while the answer stays a refusal.
 */
export interface RefusedBody {
  body(rng: Rng): Record<string, unknown>;
  keep: string[];
}

/** One generated request, ready to send. */
export interface FuzzRequest {
  method: string;
  /** Path and query string, percent-encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** What was broken on purpose, and the noise added, for failure reports. */
  defect: string;
  /**
   * True when the defect makes the request invalid whatever else it
   * carries: the service must refuse it (4xx) and change nothing.
   */
  mustBeRefused: boolean;
}

type Body = { kind: 'json'; value: unknown } | { kind: 'raw'; text: string };

interface Draft {
  op: Operation;
  pathParams: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: Body;
  contentType?: string;
  /** Body members that a defect depends on: noise leaves them alone. */
  protectedFields: Set<string>;
}

interface Defect {
  family: string;
  weight: number;
  applies(draft: Draft, ctx: GeneratorContext): boolean;
  apply(draft: Draft, ctx: GeneratorContext, rng: Rng): string;
}

interface GeneratorContext {
  doc: OpenApiDocument;
  target: FuzzTarget;
  bodySchema?: Schema;
}

/** Node refuses request heads over 16 kB (431, before the service sees them): keep URLs and headers well below. */
const SHORT_EDGE_STRINGS = EDGE_STRINGS.filter((s) => s.length <= 1000);

const MALFORMED_AUTHORIZATION = [
  'Bearer',
  'Bearer ',
  'bearer',
  'Basic dXNlcjpwYXNzd29yZA==',
  'Token abc',
  'Bearer a.b',
  'Bearer a.b.c',
  'Bearer ..',
  'Bearer null',
  'Bearer undefined',
  'Bearer {"alg":"none"}',
  `Bearer ${'x'.repeat(5000)}`,
  'Bearer caf\u00e9',
  'Bearer a\tb',
  'Bearer Bearer x',
];

const MALFORMED_IDS = [
  'abc',
  '1',
  '0',
  '-1',
  'null',
  'undefined',
  'true',
  '__proto__',
  'constructor',
  '{id}',
  ':id',
  "' OR '1'='1",
  '\u0000',
  'ü',
  '🧨',
  '%',
  '..%2f..%2fetc',
  '00000000-0000-0000-0000-00000000000g',
  '00000000000000000000000000000000',
  '00000000-0000-0000-0000-0000000000001',
  ' 00000000-0000-0000-0000-000000000000',
  '{00000000-0000-0000-0000-000000000000}',
  'x'.repeat(200),
  'x'.repeat(5000),
  '\u0001%ff%fe',
  '\u0001%c0%af',
  '\u0001%',
  '\u0001%zz',
  '\u0001%00',
];

const MALFORMED_JSON = ['{', '{"a":', "{'a':1}", '{"a":1,}', 'nul', '{"a":1}garbage', '[1,2', '{"a":"\\x"}', '{"a":01}', '"unterminated', '{}{}', '\u0000'];
const OTHER_MEDIA_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/jsonx',
  'text/json',
  'application/octet-stream',
];
const UNKNOWN_FIELDS = ['isAdmin', 'tenantId', 'role', 'balance', 'id', 'userId', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'ünïcødé', 'a'.repeat(300), '$where', ''];
const UNKNOWN_QUERY_NAMES = ['foo', 'admin', 'tenant_id', 'sort', 'offset', 'page', 'debug'];
const BAD_INTEGER_TEXT = ['0', '101', '-1', 'abc', '1.5', '1e2', '', ' 5', '5 ', '0x10', '\u0663', '99999999999', '1,2', 'NaN', 'null', '[]', '%00'];
const BAD_DATE_TIME_TEXT = ['yesterday', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '', '0', '1700000000', 'T', '2024-01-01T25:00:00Z'];
const BAD_CURSOR_TEXT = ['\u0001%ff', '\u0001%', 'abc', 'x.y', 'a.b.c', 'eyJ4IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA', 'W10.xxxxxxxxxxxxxxxxxxxxxx', 'x'.repeat(600), '\u0000', '..', '%'];
const BAD_IDEMPOTENCY_KEYS: Array<[string, string | undefined]> = [
  ['missing Idempotency-Key', undefined],
  ['empty Idempotency-Key', ''],
  ['Idempotency-Key of 256 characters', 'k'.repeat(256)],
  ['non-ASCII Idempotency-Key', 'caf\u00e9-key'],
  ['Idempotency-Key with a tab', 'a\tb'],
  ['Idempotency-Key of Latin-1 only', '\u00ff\u00fe\u00fd'],
];

/** The other values of the same kind that `pattern`/format/enum refuse. */
function violatingStrings(schema: Schema): string[] {
  const candidates = ['', ' ', 'eur', 'EURO', 'E', 'x', '12', 'A B', '\u200bEUR', 'ＥＵＲ', 'ab', 'ADMIN', 'Admin', 'paid', 'root', 'none ', '../x', "';--", 'a@', '@b', 'x'.repeat(MAX_STRING_LENGTH + 1)];
  return candidates.filter((candidate) => {
    const value = candidate.replace(/\u0000/g, '');
    if (schema.enum) return !schema.enum.includes(value);
    if (schema.format === 'uuid') return !UUID_PATTERN.test(value);
    if (schema.pattern) return !new RegExp(schema.pattern).test(value);
    return value.length > MAX_STRING_LENGTH;
  });
}

const bodyProperties = (ctx: GeneratorContext): Array<[string, Schema]> =>
  Object.entries(ctx.bodySchema?.properties ?? {}).map(([name, schema]) => [name, resolveSchema(ctx.doc, schema)]);

const jsonObjectBody = (draft: Draft): Record<string, unknown> | undefined =>
  draft.body?.kind === 'json' && draft.body.value && typeof draft.body.value === 'object' && !Array.isArray(draft.body.value)
    ? (draft.body.value as Record<string, unknown>)
    : undefined;

const isBearer = (op: Operation) => {
  const security = securityOf(op);
  return !security.optional && security.schemes.includes('bearer');
};
const isPlatform = (op: Operation) => {
  const security = securityOf(op);
  return !security.optional && security.schemes.includes('platform') && !security.schemes.includes('bearer');
};
const hasBody = (ctx: GeneratorContext) => ctx.bodySchema?.type === 'object' || !!ctx.bodySchema?.properties;
const takesBodies = (op: Operation) => !['GET', 'HEAD'].includes(op.method);
const idempotent = (op: Operation) => parametersOf(op, 'header').some((p) => p.name.toLowerCase() === 'idempotency-key' && p.required);

/**
 * Every kind of defect, each guaranteed to make a request invalid whatever
 * else it carries (so the service must refuse it), grouped by family.
 */
const DEFECTS: Defect[] = [
  {
    family: 'auth',
    weight: 3,
    applies: (d) => isBearer(d.op) || isPlatform(d.op),
    apply: (d, ctx, rng) => {
      const { target } = ctx;
      const choice = rng.int(0, isBearer(d.op) ? 4 : 2);
      if (choice === 0) {
        delete d.headers.authorization;
        return 'no credentials';
      }
      if (choice === 1) {
        d.headers.authorization = rng.pick(MALFORMED_AUTHORIZATION);
        return `malformed Authorization ${JSON.stringify(d.headers.authorization.slice(0, 40))}`;
      }
      if (choice === 2) {
        d.headers.authorization = `Bearer ${isBearer(d.op) ? target.platformToken : rng.pick(target.bearerTokens)}`;
        return isBearer(d.op) ? 'the platform token on a user route' : 'a user token on a platform route';
      }
      if (choice === 3) {
        d.headers.authorization = `Bearer ${target.revokedToken}`;
        return 'the token of a logged-out session';
      }
      const [token, what] = forgedToken(target, rng);
      d.headers.authorization = `Bearer ${token}`;
      return `forged token: ${what}`;
    },
  },
  {
    family: 'tenant',
    weight: 1,
    applies: (d) => isBearer(d.op),
    apply: (d, ctx, rng) => {
      const { ownTenant, otherTenant } = ctx.target;
      let value = rng.pick([otherTenant.id, otherTenant.slug, otherTenant.id.toUpperCase(), headerSafe(rng.pick(EDGE_HEADER_VALUES)), `${ownTenant.slug}x`, '']);
      if (value.toLowerCase() === ownTenant.id || value === ownTenant.slug) value = otherTenant.slug;
      d.headers['x-tenant-id'] = value;
      return `X-Tenant-ID ${JSON.stringify(value.slice(0, 40))} of another tenant`;
    },
  },
  {
    family: 'path id',
    weight: 3,
    applies: (d) => Object.keys(d.pathParams).length > 0,
    apply: (d, ctx, rng) => {
      const name = rng.pick(Object.keys(d.pathParams));
      const choice = rng.int(0, 2);
      d.pathParams[name] = choice === 0 ? rng.pick(MALFORMED_IDS) : choice === 1 ? rng.pick(ctx.target.foreignIds) : rng.uuid();
      return `${['malformed', 'another tenant’s', 'unknown'][choice]} ${name} ${JSON.stringify(d.pathParams[name].slice(0, 40))}`;
    },
  },
  {
    family: 'body: missing field',
    weight: 2,
    applies: (d, ctx) => !!jsonObjectBody(d) && (ctx.bodySchema?.required?.length ?? 0) > 0,
    apply: (d, ctx, rng) => {
      const field = rng.pick(ctx.bodySchema!.required!);
      delete jsonObjectBody(d)![field];
      d.protectedFields.add(field);
      return `required ${field} missing`;
    },
  },
  {
    family: 'body: unknown field',
    weight: 2,
    applies: (d) => !!jsonObjectBody(d),
    apply: (d, _ctx, rng) => {
      const body = jsonObjectBody(d)!;
      const field = rng.pick(UNKNOWN_FIELDS.filter((name) => !(name in body)));
      body[field] = rng.pick([1, 'x', true, null, {}, [], rng.pick(EDGE_STRINGS)]);
      d.protectedFields.add(field);
      return `unknown field ${JSON.stringify(field.slice(0, 30))}`;
    },
  },
  {
    family: 'body: wrong type',
    weight: 3,
    applies: (d, ctx) => !!jsonObjectBody(d) && bodyProperties(ctx).length > 0,
    apply: (d, ctx, rng) => {
      const [field, schema] = rng.pick(bodyProperties(ctx));
      const declared = jsonTypeOf(schema);
      const types = Object.keys(VALUES_BY_TYPE).filter((type) => type !== declared && !(type === 'null' && schema.nullable));
      let value = rng.pick(VALUES_BY_TYPE[rng.pick(types)]);
      // A string of digits is not an integer, but 10.0 would be: keep fractions for the number case only.
      if (schema.type === 'integer' && rng.chance(0.3)) value = rng.pick([1.5, 0.1, new RawJson('2.5e-1')]);
      const body = jsonObjectBody(d)!;
      if (rng.chance(0.2)) {
        // A duplicate key: the parser keeps the last one, which is the wrong one.
        const text = toJsonText({ ...body, [field]: conformingValue(ctx.doc, schema, rng) });
        d.body = { kind: 'raw', text: `${text.slice(0, -1)}${text.length > 2 ? ',' : ''}${JSON.stringify(field)}:${toJsonText(value)}}` };
      } else {
        body[field] = value;
      }
      d.protectedFields.add(field);
      return `${field} of the wrong type: ${toJsonText(value).slice(0, 40)}`;
    },
  },
  {
    family: 'body: out of range',
    weight: 3,
    applies: (d, ctx) => !!jsonObjectBody(d) && outOfRangeCandidates(ctx).length > 0,
    apply: (d, ctx, rng) => {
      const [field, values] = rng.pick(outOfRangeCandidates(ctx));
      const value = rng.pick(values);
      jsonObjectBody(d)![field] = value;
      d.protectedFields.add(field);
      return `${field} out of range: ${toJsonText(value).slice(0, 40)}`;
    },
  },
  {
    family: 'body: bad string',
    weight: 2,
    applies: (d, ctx) => !!jsonObjectBody(d) && bodyProperties(ctx).some(([, s]) => s.type === 'string'),
    apply: (d, ctx, rng) => {
      const [field, schema] = rng.pick(bodyProperties(ctx).filter(([, s]) => s.type === 'string'));
      const value = rng.pick(violatingStrings(schema));
      jsonObjectBody(d)![field] = value;
      d.protectedFields.add(field);
      return `${field} breaks its pattern, format or enum: ${JSON.stringify(value.slice(0, 30))}`;
    },
  },
  {
    family: 'body: not an object',
    weight: 1,
    applies: (_d, ctx) => hasBody(ctx),
    apply: (d, _ctx, rng) => {
      const value = rng.pick([[], [jsonObjectBody(d) ?? {}], 'x', 0, true, null, [null]]);
      d.body = { kind: 'json', value };
      return `the body is ${JSON.stringify(value).slice(0, 40)}`;
    },
  },
  {
    family: 'body: prototype keys',
    weight: 2,
    applies: (d) => takesBodies(d.op),
    apply: (d, _ctx, rng) => {
      const base = toJsonText(jsonObjectBody(d) ?? {});
      const inner = base.slice(1, -1);
      const poison = rng.pick([
        '"__proto__":{"polluted":"yes"}',
        '"constructor":{"prototype":{"polluted":"yes"}}',
        '"nested":{"__proto__":{"polluted":"yes"}}',
        '"__proto__":{"toString":"x"}',
      ]);
      d.body = { kind: 'raw', text: `{${inner}${inner ? ',' : ''}${poison}}` };
      return `prototype poisoning ${poison.slice(0, 40)}`;
    },
  },
  {
    family: 'body: deep nesting',
    weight: 1,
    applies: (d) => takesBodies(d.op),
    apply: (d, _ctx, rng) => {
      const depth = rng.int(17, 200);
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const base = toJsonText(jsonObjectBody(d) ?? {}).slice(1, -1);
      d.body = { kind: 'raw', text: `{${base}${base ? ',' : ''}"deep":${nested}}` };
      return `a member nested ${depth} levels deep`;
    },
  },
  {
    family: 'body: refused for its meaning',
    weight: 3,
    applies: (d, ctx) => !!ctx.target.refusedBodies?.[operationName(d.op)],
    apply: (d, ctx, rng) => {
      const refused = ctx.target.refusedBodies![operationName(d.op)];
      const body = refused.body(rng);
      // Odd strings that still pass validation, so that they reach the service and the database.
      for (const [field, schema] of bodyProperties(ctx)) {
        if (refused.keep.includes(field) || schema.type !== 'string' || schema.format || schema.pattern || schema.enum || !rng.chance(0.5)) continue;
        const fits = SHORT_EDGE_STRINGS.filter((s) => s.replace(/\u0000/g, '').length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? 1000));
        if (fits.length) body[field] = rng.pick(fits);
      }
      d.body = { kind: 'json', value: body };
      for (const field of refused.keep) d.protectedFields.add(field);
      return `a well-formed body refused for its ${refused.keep.join(' and ') || 'meaning'}`;
    },
  },
  {
    family: 'transport',
    weight: 2,
    applies: (d) => takesBodies(d.op),
    apply: (d, ctx, rng) => {
      const choice = rng.int(0, 3);
      const valid = toJsonText(jsonObjectBody(d) ?? {});
      if (choice === 0) {
        d.body = { kind: 'raw', text: rng.pick(MALFORMED_JSON) };
        return `malformed JSON ${JSON.stringify(d.body.text.slice(0, 20))}`;
      }
      if (choice === 1 && (ctx.bodySchema?.required?.length ?? 0) > 0) {
        // An empty body is no body: refused only where the body has required fields.
        d.body = { kind: 'raw', text: '' };
        return 'an empty body declared as JSON';
      }
      if (choice === 2) {
        d.body = { kind: 'raw', text: valid };
        d.contentType = rng.pick(OTHER_MEDIA_TYPES);
        return `a body of type ${d.contentType}`;
      }
      d.body = { kind: 'raw', text: `{"padding":"${'x'.repeat(ctx.target.bodyLimit)}"}` };
      return `a body over the ${ctx.target.bodyLimit}-byte limit`;
    },
  },
  {
    family: 'query',
    weight: 3,
    applies: (d) => parametersOf(d.op, 'query').length > 0,
    apply: (d, ctx, rng) => {
      const params = parametersOf(d.op, 'query');
      const choice = rng.int(0, 2);
      if (choice === 0) {
        const name = rng.pick(UNKNOWN_QUERY_NAMES.filter((n) => !params.some((p) => p.name === n)));
        d.query.push([name, headerSafe(rng.pick(EDGE_HEADER_VALUES))]);
        return `unknown query parameter ${name}`;
      }
      const param = rng.pick(params);
      if (choice === 1) {
        const value = conformingValue(ctx.doc, param.schema ?? { type: 'string' }, rng);
        d.query.push([param.name, String(value)], [param.name, String(value)]);
        return `${param.name} given twice`;
      }
      const value = rng.pick(badQueryValues(ctx, param.name, param.schema ?? {}));
      d.query.push([param.name, value]);
      return `${param.name}=${JSON.stringify(value.slice(0, 30))}`;
    },
  },
  {
    family: 'idempotency key',
    weight: 2,
    applies: (d) => idempotent(d.op),
    apply: (d, _ctx, rng) => {
      const [what, value] = rng.pick(BAD_IDEMPOTENCY_KEYS);
      if (value === undefined) delete d.headers['idempotency-key'];
      else d.headers['idempotency-key'] = value;
      return what;
    },
  },
];

function outOfRangeCandidates(ctx: GeneratorContext): Array<[string, unknown[]]> {
  return bodyProperties(ctx).flatMap(([name, schema]): Array<[string, unknown[]]> => {
    if (schema.type === 'integer' || schema.type === 'number') {
      const values: unknown[] = [];
      if (schema.minimum !== undefined) values.push(schema.minimum - 1, -1e308, new RawJson('-1e400'));
      if (schema.maximum !== undefined) values.push(schema.maximum + 1, 1e21, 1e308, new RawJson('1e400'));
      if (schema.maximum !== undefined && schema.maximum >= 2 ** 53 - 1) values.push(2 ** 53, new RawJson('9007199254740993'));
      return values.length ? [[name, values.filter((v) => v instanceof RawJson || (v as number) < (schema.minimum ?? -Infinity) || (v as number) > (schema.maximum ?? Infinity))]] : [];
    }
    if (schema.type === 'string') {
      const values: string[] = [];
      if (schema.maxLength !== undefined) values.push('y'.repeat(schema.maxLength + 1), '🧨'.repeat(schema.maxLength + 1));
      if (schema.minLength !== undefined && schema.minLength > 0) values.push('', '\u0000'.repeat(schema.minLength));
      values.push('x'.repeat(MAX_STRING_LENGTH + 1));
      return [[name, values]];
    }
    return [];
  });
}

function badQueryValues(ctx: GeneratorContext, name: string, raw: Schema): string[] {
  const schema = resolveSchema(ctx.doc, raw);
  if (schema.type === 'integer' || schema.type === 'number') {
    return BAD_INTEGER_TEXT.filter((v) => !/^\d{1,9}$/.test(v) || Number(v) < (schema.minimum ?? -Infinity) || Number(v) > (schema.maximum ?? Infinity));
  }
  if (schema.format === 'date-time') return BAD_DATE_TIME_TEXT;
  if (schema.enum || schema.format === 'uuid' || schema.pattern) return violatingStrings(schema).filter((v) => v === '' || (v !== ' ' && v.trim() === v));
  if (name === 'cursor') return BAD_CURSOR_TEXT;
  return ['x'.repeat(MAX_STRING_LENGTH + 1)];
}

function forgedToken(target: FuzzTarget, rng: Rng): [string, string] {
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: rng.uuid(), tid: target.ownTenant.id, role: 'admin', sid: rng.uuid(), iat: now, exp: now + 600 };
  const hs256 = { alg: 'HS256', typ: 'JWT' };
  const choices: Array<() => [string, string]> = [
    () => [forgeJwt({ alg: 'none', typ: 'JWT' }, claims), 'alg none'],
    () => [forgeJwt(hs256, claims, 'not-the-secret-0123456789-0123456789'), 'signed with another secret'],
    () => [forgeJwt(hs256, { ...claims, iat: now - 7200, exp: now - 3600 }, target.jwtSecret), 'expired'],
    () => [forgeJwt(hs256, claims, target.jwtSecret), 'valid signature, no such session'],
    () => [forgeJwt(hs256, { ...claims, tid: 'not-a-uuid', role: 'root' }, target.jwtSecret), 'valid signature, malformed claims'],
    () => [forgeJwt(hs256, { ...claims, tid: target.otherTenant.id }, target.jwtSecret), 'valid signature, another tenant, no session'],
    () => [forgeJwt({ alg: 'HS512', typ: 'JWT' }, claims, target.jwtSecret, 'sha512'), 'HS512 instead of HS256'],
    () => [forgeJwt(hs256, { sub: { $ne: null }, tid: ['x'], role: 1, sid: null, exp: now + 600 }, target.jwtSecret), 'valid signature, claims of the wrong types'],
  ];
  return rng.pick(choices)();
}

/**
 * Noise: odd values that never remove the defect (they touch no protected
 * member, no credential, key or content type), to shake parsers and the
 * code behind them while the request is refused anyway.
 */
function addNoise(draft: Draft, rng: Rng): string[] {
  const notes: string[] = [];
  const rounds = rng.int(0, 2);
  for (let i = 0; i < rounds; i++) {
    const body = jsonObjectBody(draft);
    const free = body ? Object.keys(body).filter((field) => !draft.protectedFields.has(field)) : [];
    const choice = rng.int(0, 3);
    if (choice === 0 && free.length) {
      const field = rng.pick(free);
      body![field] = rng.chance(0.7) ? rng.pick(EDGE_STRINGS) : rng.pick(EDGE_NUMBERS);
      notes.push(`noise in ${field}`);
    } else if (choice === 1) {
      const header = rng.pick(['x-request-id', 'accept', 'x-forwarded-for', 'user-agent', 'accept-language', 'cookie', 'if-none-match', 'origin']);
      draft.headers[header] = headerSafe(rng.pick([...EDGE_HEADER_VALUES, rng.pick(SHORT_EDGE_STRINGS)]));
      notes.push(`odd ${header}`);
    } else if (choice === 2 && parametersOf(draft.op, 'query').length === 0) {
      draft.query.push(rng.pick([['__proto__[polluted]', 'yes'], ['constructor[prototype][polluted]', 'yes'], ['a', rng.pick(SHORT_EDGE_STRINGS)], ['x[]', '1']]));
      notes.push('odd query string');
    } else if (choice === 3 && !draft.headers['x-tenant-id'] && !isBearer(draft.op)) {
      draft.headers['x-tenant-id'] = headerSafe(rng.pick(EDGE_HEADER_VALUES));
      notes.push('X-Tenant-ID on a route without a user');
    }
  }
  return notes;
}

/** A request whose every part is valid in form, for the defect to break. */
function validDraft(op: Operation, ctx: GeneratorContext, rng: Rng): Draft {
  const segments = op.path.split('/');
  const pathParams: Record<string, string> = {};
  for (const param of parametersOf(op, 'path')) {
    const before = segments[segments.indexOf(`{${param.name}}`) - 1];
    pathParams[param.name] = ctx.target.ownIds[before] ?? rng.uuid();
  }
  const headers: Record<string, string> = {};
  if (isBearer(op)) headers.authorization = `Bearer ${rng.chance(0.75) ? ctx.target.bearerTokens[0] : rng.pick(ctx.target.bearerTokens)}`;
  if (isPlatform(op)) headers.authorization = `Bearer ${ctx.target.platformToken}`;
  if (idempotent(op)) headers['idempotency-key'] = rng.uuid();
  const body: Body | undefined = ctx.bodySchema ? { kind: 'json', value: conformingValue(ctx.doc, ctx.bodySchema, rng) } : undefined;
  return { op, pathParams, query: [], headers, body, protectedFields: new Set() };
}

/** Marks a URL component to be sent exactly as written (e.g. `%ff`, a byte that is not UTF-8). */
const VERBATIM = '\u0001';

/** Percent-encodes the UTF-8 bytes of `value` (lone surrogates become U+FFFD), unless marked verbatim. */
function encodeComponent(value: string): string {
  if (value.startsWith(VERBATIM)) return value.slice(1);
  return [...Buffer.from(value, 'utf8')].map((byte) => (/[A-Za-z0-9_~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0').toUpperCase()}`)).join('');
}

function render(draft: Draft, defect: string, mustBeRefused: boolean): FuzzRequest {
  const path = draft.op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeComponent(draft.pathParams[name]));
  const query = draft.query.map(([k, v]) => `${encodeComponent(k)}=${encodeComponent(v)}`).join('&');
  const headers = { ...draft.headers };
  let body: string | undefined;
  if (draft.body) {
    body = draft.body.kind === 'json' ? toJsonText(draft.body.value) : draft.body.text;
    headers['content-type'] = draft.contentType ?? 'application/json';
  }
  return { method: draft.op.method, url: query ? `${path}?${query}` : path, headers, body, defect, mustBeRefused };
}

/**
 * One bad request for `op`: a valid base, one defect that guarantees it is
 * invalid (when the operation can be given any: a public GET without
 * parameters cannot), and some noise. Deterministic for a given `rng` state.
 */
export function generateBadRequest(doc: OpenApiDocument, op: Operation, target: FuzzTarget, rng: Rng): FuzzRequest {
  const ctx: GeneratorContext = { doc, target, bodySchema: requestBodySchema(doc, op) };
  const draft = validDraft(op, ctx, rng);
  const applicable = DEFECTS.filter((defect) => defect.applies(draft, ctx));
  if (applicable.length === 0) {
    const notes = addNoise(draft, rng);
    return render(draft, ['no defect possible', ...notes].join('; '), false);
  }
  const defect = rng.weighted(applicable.map((d) => [d, d.weight] as const));
  const what = defect.apply(draft, ctx, rng);
  const notes = addNoise(draft, rng);
  return render(draft, [`${defect.family}: ${what}`, ...notes].join('; '), true);
}

/** The defect families that can apply to `op` (for coverage reports). */
export function defectFamiliesFor(doc: OpenApiDocument, op: Operation, target: FuzzTarget): string[] {
  const ctx: GeneratorContext = { doc, target, bodySchema: requestBodySchema(doc, op) };
  const draft = validDraft(op, ctx, new Rng(1));
  return DEFECTS.filter((defect) => defect.applies(draft, ctx)).map((defect) => defect.family);
}
