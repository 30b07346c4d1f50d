import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors/domain-error';

/**
 * Opaque, signed keyset cursors: `base64url(json).base64url(hmac)`. The
 * signature lets the service tell its own cursors from forged or mangled
 * ones, which API.md answers with 400.
 */
export class CursorCodec {
  constructor(private readonly key: string) {}

  encode(position: { createdAt: Date | string; id: string }): string {
    const createdAt = position.createdAt instanceof Date ? position.createdAt.toISOString() : position.createdAt;
    const payload = Buffer.from(JSON.stringify([createdAt, position.id])).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  decode(cursor: string): { createdAt: string; id: string } {
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined || !this.verify(payload, signature)) throw invalidCursor();
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalidCursor();
      return { createdAt, id };
    } catch {
      throw invalidCursor();
    }
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.key).update(`cursor:${payload}`).digest('base64url').slice(0, 22);
  }

  private verify(payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(payload));
    const actual = Buffer.from(signature);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

const invalidCursor = () =>
  new DomainError('VALIDATION_FAILED', 'cursor is not one this service issued', [
    { field: 'cursor', message: 'must be a cursor returned by a previous page' },
  ]);
