import { FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';

/** Longer strings are never legitimate in this API; the DTOs bound most fields tighter. */
export const MAX_STRING_LENGTH = 10_000;
const MAX_DEPTH = 16;
/** A UTF-16 surrogate without its other half: valid as a JSON escape (`"\ud83d"`), not as text. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Removes NUL characters from every string of a parsed JSON body and refuses
 * over-long strings, lone surrogates (not text: validator.js's e-mail check
 * throws on them, and PostgreSQL would store U+FFFD instead) and over-deep
 * nesting, before validation sees the body.
 * Prototype-poisoning keys never get here: the JSON parser rejects them.
 */
export function sanitizeBody(request: FastifyRequest): void {
  if (request.body !== undefined && request.body !== null) {
    request.body = clean(request.body, '', 0);
  }
}

function clean(value: unknown, path: string, depth: number): unknown {
  if (depth > MAX_DEPTH) throw tooDeep(path);
  if (typeof value === 'string') {
    if (value.length > MAX_STRING_LENGTH) {
      throw new DomainError('VALIDATION_FAILED', 'a string is too long', [
        { field: path || 'body', message: `must be at most ${MAX_STRING_LENGTH} characters` },
      ]);
    }
    if (LONE_SURROGATE.test(value)) {
      throw new DomainError('VALIDATION_FAILED', 'a string is not well-formed Unicode', [
        { field: path || 'body', message: 'must be well-formed Unicode text (no lone surrogates)' },
      ]);
    }
    return value.includes('\u0000') ? value.replace(/\u0000/g, '') : value;
  }
  if (Array.isArray(value)) return value.map((item, i) => clean(item, `${path}[${i}]`, depth + 1));
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    for (const key of Object.keys(object)) {
      object[key] = clean(object[key], path ? `${path}.${key}` : key, depth + 1);
    }
  }
  return value;
}

const tooDeep = (path: string) =>
  new DomainError('VALIDATION_FAILED', 'the body is nested too deeply', [
    { field: path || 'body', message: `must nest at most ${MAX_DEPTH} levels` },
  ]);
