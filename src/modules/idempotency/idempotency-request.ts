import { createHash } from 'node:crypto';
import { DomainError } from '../../common/errors/domain-error';
import { canonicalJson } from '../audit/audit-chain';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's `Idempotency-Key`: missing or empty is 400
 * IDEMPOTENCY_KEY_REQUIRED; anything but 1-255 printable ASCII characters is
 * 400 VALIDATION_FAILED.
 */
export function readIdempotencyKey(headers: Record<string, string | string[] | undefined>): string {
  const raw = headers[IDEMPOTENCY_HEADER.toLowerCase()];
  const value = Array.isArray(raw) ? raw.join(', ') : raw;
  if (value === undefined || value === '') {
    throw new DomainError('IDEMPOTENCY_KEY_REQUIRED', `this request moves money: send an ${IDEMPOTENCY_HEADER} header`);
  }
  if (!KEY_PATTERN.test(value)) {
    throw new DomainError('VALIDATION_FAILED', `${IDEMPOTENCY_HEADER} must be 1 to 255 printable ASCII characters`, [
      { field: IDEMPOTENCY_HEADER, message: 'must be 1 to 255 printable ASCII characters' },
    ]);
  }
  return value;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * What makes two requests "the same": method, path and the JSON value of the
 * body (canonical: key order and white space do not matter). Ids in the path
 * count in lower case, as the routes read them: a retry that spells a wallet's
 * id in capitals addresses the same wallet. No body and `{}` are the same body
 * (a route that takes none accepts both).
 */
export function requestFingerprint(method: string, path: string, body: unknown): string {
  const canonicalPath = path.replace(UUID, (id) => id.toLowerCase());
  const isEmptyObject = !!body && typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0;
  const canonicalBody = canonicalJson(body === undefined || isEmptyObject ? null : body);
  return createHash('sha256').update(`${method.toUpperCase()}\n${canonicalPath}\n${canonicalBody}`).digest('hex');
}
