import { MAX_STRING_LENGTH } from '../../src/common/http/body-sanitizer';
import { OpenApiDocument, resolveSchema, Schema } from './openapi-document';
import { Rng } from './prng';

/** A JSON number (or any JSON text) written exactly as given: `1e400`, `1.0`. */
export class RawJson {
  constructor(readonly text: string) {}
}

/** JSON text of `value`, with {@link RawJson} pieces spliced in verbatim. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([key, item]) => `${JSON.stringify(key)}:${toJsonText(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export { MAX_STRING_LENGTH };

/** Strings that break naive code: NULs, lone surrogates, direction overrides, injections, 10 kB. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0000'.repeat(16),
  '\ud800',
  '\udfff\ud800',
  'x\ud83d',
  '\u202eevil',
  '\u200b',
  'e\u0301\u0301\u0301',
  '🧨💥',
  '👨‍👩‍👧‍👦'.repeat(40),
  '\ufeff',
  'İ',
  'ß',
  'ǅ',
  '\u0085',
  '\u2028\u2029',
  '𝕏𝕐',
  'ＡＢＣ',
  '\u00a0',
  "'; DROP TABLE users; --",
  "' OR '1'='1",
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '%00',
  '%s%n%x',
  'NaN',
  'Infinity',
  'null',
  'undefined',
  '[object Object]',
  '__proto__',
  'constructor',
  'x'.repeat(MAX_STRING_LENGTH),
  'é'.repeat(MAX_STRING_LENGTH / 2),
  'x'.repeat(MAX_STRING_LENGTH + 1),
];

/** Numbers at the edges of int32, of 2^53, of doubles, and JSON number texts JavaScript reads oddly. */
export const EDGE_NUMBERS: readonly unknown[] = [
  0,
  -1,
  1,
  0.5,
  1.5,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  1e21,
  1e308,
  -1e308,
  5e-324,
  new RawJson('-0'),
  new RawJson('1e400'),
  new RawJson('-1e400'),
  new RawJson('1.0'),
  new RawJson('1E2'),
  new RawJson('100000000000000000000000000000'),
];

/** Values of every JSON type, for "wrong type" defects. */
export const VALUES_BY_TYPE: Record<string, readonly unknown[]> = {
  string: ['10', 'true', '', 'x', '2024-01-01T00:00:00Z', '1e3'],
  number: [10, 0, -5, 1.5, 1e21],
  boolean: [true, false],
  object: [{}, { a: 1 }, { $gt: '' }, { length: 1 }],
  array: [[], [1], ['x'], [{}], [null]],
  null: [null],
};

/** A header value fetch can send: printable Latin-1, tabs only inside. */
export function headerSafe(value: string): string {
  const cleaned = [...value].filter((c) => c === '\t' || (c >= ' ' && c <= '~') || (c >= '\u00a0' && c <= '\u00ff')).join('');
  return cleaned.replace(/^[\t ]+|[\t ]+$/g, '') || 'x';
}

/** Header values that are odd but sendable. */
export const EDGE_HEADER_VALUES: readonly string[] = [
  'x',
  'caf\u00e9',
  'a\tb',
  'a'.repeat(4000),
  '\u00ff\u00fe',
  '${jndi:ldap://x/a}',
  '../../etc/passwd',
  "' OR 1=1 --",
  '*',
  '0',
  '-1',
  'null',
  'W/"x", "y"',
];

/** JSON type name of a schema (`integer` counts as number). */
export function jsonTypeOf(schema: Schema): string | undefined {
  if (schema.type === 'integer') return 'number';
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  return undefined;
}

/**
 * A value that satisfies `schema` as far as its form goes (examples first,
 * then bounds): the valid base that a single defect is applied to.
 */
export function conformingValue(doc: OpenApiDocument, raw: Schema, rng: Rng): unknown {
  const schema = resolveSchema(doc, raw);
  if (schema.enum?.length) return rng.pick(schema.enum);
  if (schema.example !== undefined && schema.type !== 'object') return schema.example;
  switch (schema.type ?? (schema.properties ? 'object' : undefined)) {
    case 'string': {
      if (schema.format === 'uuid') return rng.uuid();
      if (schema.format === 'date-time') return new Date(Date.UTC(2024, 0, rng.int(1, 28))).toISOString();
      const length = Math.max(schema.minLength ?? 1, Math.min(schema.maxLength ?? 12, 12));
      return 'x'.repeat(length);
    }
    case 'integer':
    case 'number': {
      const min = schema.minimum ?? 1;
      const max = Math.min(schema.maximum ?? 1000, min + 1000);
      return rng.int(min, max);
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'array':
      return [];
    case 'object': {
      const required = new Set(schema.required ?? []);
      const entries = Object.entries(schema.properties ?? {})
        .filter(([name]) => required.has(name) || rng.chance(0.5))
        .map(([name, property]) => [name, conformingValue(doc, property, rng)]);
      return Object.fromEntries(entries);
    }
    default:
      return 'x';
  }
}
