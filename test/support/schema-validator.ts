import { OpenApiDocument, resolveSchema, Schema } from './openapi-document';

export interface SchemaViolation {
  /** Where in the value, e.g. `$.data[2].balance`. */
  path: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Checks a JSON value against the subset of JSON Schema that @nestjs/swagger
 * emits: $ref, type, nullable, enum, format (uuid, date-time), properties,
 * required, items, additionalProperties, allOf/oneOf/anyOf, and the bounds
 * (minimum/maximum, minLength/maxLength, pattern). Strict about objects: a
 * member the schema does not declare is a violation unless
 * `additionalProperties` allows it, since an undocumented field is the
 * document lying by omission.
 */
export function validateAgainstSchema(doc: OpenApiDocument, schema: Schema, value: unknown, path = '$'): SchemaViolation[] {
  const violations: SchemaViolation[] = [];
  check(doc, schema, value, path, violations, true);
  return violations;
}

/** `ownMembers` false: an allOf member, whose undeclared members are judged against the union of all members. */
function check(doc: OpenApiDocument, raw: Schema, value: unknown, path: string, out: SchemaViolation[], strict: boolean, ownMembers = true): void {
  const schema = resolveSchema(doc, raw);
  const fail = (message: string): void => {
    out.push({ path, message });
  };
  if (value === null) {
    if (raw.nullable || schema.nullable) return;
    const branches = [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])];
    if (branches.some((branch) => resolveSchema(doc, branch).nullable)) return;
    if (schema.allOf?.some((member) => member.nullable)) return;
    fail('is null, and the schema is not nullable');
    return;
  }
  if (value === undefined) {
    fail('is missing');
    return;
  }

  if (schema.allOf) {
    for (const member of schema.allOf) check(doc, member, value, path, out, strict, false);
    if (strict && isObject(value)) checkUndeclared(doc, schema.allOf.map((m) => resolveSchema(doc, m)), value, path, out);
  }
  if (schema.oneOf || schema.anyOf) {
    const branches = schema.oneOf ?? schema.anyOf!;
    const results = branches.map((branch) => {
      const branchViolations: SchemaViolation[] = [];
      check(doc, branch, value, path, branchViolations, strict);
      return branchViolations;
    });
    const passing = results.filter((r) => r.length === 0).length;
    if (schema.oneOf && passing !== 1) {
      fail(`matches ${passing} of the ${branches.length} oneOf schemas${passing === 0 ? ` (first: ${describe(results[0])})` : ''}`);
    }
    if (schema.anyOf && passing === 0) fail(`matches none of the anyOf schemas (first: ${describe(results[0])})`);
  }
  if (schema.enum && !schema.enum.includes(value)) fail(`${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);

  const type = schema.type ?? (schema.properties ? 'object' : undefined);
  switch (type) {
    case 'string':
      if (typeof value !== 'string') return fail(`expected a string, got ${typeName(value)}`);
      checkString(schema, value, fail);
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected a ${type}, got ${typeName(value)}`);
      if (type === 'integer' && !Number.isInteger(value)) return fail(`expected an integer, got ${value}`);
      if (schema.minimum !== undefined && value < schema.minimum) fail(`${value} is below the minimum ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) fail(`${value} is above the maximum ${schema.maximum}`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`expected a boolean, got ${typeName(value)}`);
      return;
    case 'array':
      if (!Array.isArray(value)) return fail(`expected an array, got ${typeName(value)}`);
      if (schema.items) value.forEach((item, i) => check(doc, schema.items!, item, `${path}[${i}]`, out, strict));
      return;
    case 'object':
      if (!isObject(value)) return fail(`expected an object, got ${typeName(value)}`);
      checkObject(doc, schema, value, path, out, strict, ownMembers);
      return;
  }
}

function checkString(schema: Schema, value: string, fail: (message: string) => void): void {
  const length = [...value].length;
  if (schema.format === 'uuid' && !UUID.test(value)) fail(`${JSON.stringify(value)} is not a uuid`);
  if (schema.format === 'date-time' && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
    fail(`${JSON.stringify(value)} is not a date-time`);
  }
  if (schema.minLength !== undefined && length < schema.minLength) fail(`is shorter than ${schema.minLength}`);
  if (schema.maxLength !== undefined && length > schema.maxLength) fail(`is longer than ${schema.maxLength}`);
  if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) fail(`${JSON.stringify(value)} does not match ${schema.pattern}`);
}

function checkObject(
  doc: OpenApiDocument,
  schema: Schema,
  value: Record<string, unknown>,
  path: string,
  out: SchemaViolation[],
  strict: boolean,
  ownMembers: boolean,
): void {
  for (const key of schema.required ?? []) {
    if (!(key in value)) out.push({ path: `${path}.${key}`, message: 'is required but missing' });
  }
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (key in value) check(doc, property, value[key], `${path}.${key}`, out, strict);
  }
  const additional = schema.additionalProperties;
  if (additional && typeof additional === 'object') {
    for (const key of Object.keys(value)) {
      if (!schema.properties?.[key]) check(doc, additional, value[key], `${path}.${key}`, out, strict);
    }
  } else if (strict && ownMembers) {
    checkUndeclared(doc, [schema], value, path, out);
  }
}

/** Members that none of `schemas` declares (and none allows as additional). */
function checkUndeclared(doc: OpenApiDocument, schemas: Schema[], value: Record<string, unknown>, path: string, out: SchemaViolation[]): void {
  const flat = schemas.flatMap((s) => [s, ...(s.allOf ?? []).map((m) => resolveSchema(doc, m))]);
  if (flat.some((s) => s.additionalProperties)) return;
  const declared = new Set(flat.flatMap((s) => Object.keys(s.properties ?? {})));
  for (const key of Object.keys(value)) {
    if (!declared.has(key)) out.push({ path: `${path}.${key}`, message: 'is not declared in the schema' });
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const typeName = (value: unknown) => (Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value);
const describe = (violations: SchemaViolation[] | undefined) => (violations ?? []).map((v) => `${v.path} ${v.message}`).join('; ');
