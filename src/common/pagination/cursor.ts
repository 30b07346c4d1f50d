import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors/domain-error';

/** Where a page ended: the last row's keyset position. */
export interface CursorPosition {
  createdAt: string;
  id: string;
}

/** The cursors of one list: made and read by {@link CursorCodec.forList}. */
export interface ListCursors {
  encode(position: { createdAt: Date | string; id: string }): string;
  decode(cursor: string): CursorPosition;
}

/**
 * Opaque, signed keyset cursors: `base64url(json).base64url(hmac)`. The
 * signature lets the service tell its own cursors from forged or mangled
 * ones, which API.md answers with 400. It also covers the list the cursor
 * was made for, and the tenant, so a cursor of one list (another wallet's
 * transactions, the orders, another tenant's users) is refused by another,
 * not read as a position in it.
 */
export class CursorCodec {
  constructor(private readonly key: string) {}

  /** `list` names the list and whose it is: `users:<tenant id>`, `wallet-transactions:<wallet id>`. */
  forList(list: string): ListCursors {
    return { encode: (position) => this.encode(list, position), decode: (cursor) => this.decode(list, cursor) };
  }

  private encode(list: string, position: { createdAt: Date | string; id: string }): string {
    const createdAt = position.createdAt instanceof Date ? position.createdAt.toISOString() : position.createdAt;
    const payload = Buffer.from(JSON.stringify([createdAt, position.id])).toString('base64url');
    return `${payload}.${this.sign(list, payload)}`;
  }

  private decode(list: string, cursor: string): CursorPosition {
    const [payload, signature, extra] = cursor.split('.');
    if (!payload || !signature || extra !== undefined || !this.verify(list, payload, signature)) throw invalidCursor();
    try {
      const [createdAt, id] = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalidCursor();
      return { createdAt, id };
    } catch {
      throw invalidCursor();
    }
  }

  private sign(list: string, payload: string): string {
    return createHmac('sha256', this.key).update(`cursor:${list}:${payload}`).digest('base64url').slice(0, 22);
  }

  private verify(list: string, payload: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(list, payload));
    const actual = Buffer.from(signature);
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

const invalidCursor = () =>
  new DomainError('VALIDATION_FAILED', 'cursor is not one this service issued', [
    { field: 'cursor', message: 'must be a cursor returned by a previous page' },
  ]);
