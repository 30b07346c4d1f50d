import { readIdempotencyKey, requestFingerprint } from './idempotency-request';

describe('requestFingerprint', () => {
  it('ignores key order at every level', () => {
    expect(requestFingerprint('POST', '/api/x', { a: 1, b: { c: 2, d: [1, 2] } })).toBe(
      requestFingerprint('post', '/api/x', { b: { d: [1, 2], c: 2 }, a: 1 }),
    );
  });

  it('reads the ids of the path in lower case, as the routes do', () => {
    const id = '0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D';
    expect(requestFingerprint('POST', `/api/wallets/${id}/credit`, { amount: 1 })).toBe(
      requestFingerprint('POST', `/api/wallets/${id.toLowerCase()}/credit`, { amount: 1 }),
    );
    expect(requestFingerprint('POST', '/api/X', {})).not.toBe(requestFingerprint('POST', '/api/x', {}));
  });

  it('tells apart the method, the path, values and array order', () => {
    const base = requestFingerprint('POST', '/api/x', { a: [1, 2] });
    expect(requestFingerprint('PUT', '/api/x', { a: [1, 2] })).not.toBe(base);
    expect(requestFingerprint('POST', '/api/y', { a: [1, 2] })).not.toBe(base);
    expect(requestFingerprint('POST', '/api/x', { a: [2, 1] })).not.toBe(base);
    expect(requestFingerprint('POST', '/api/x', { a: [1, 2], b: null })).not.toBe(base);
    expect(requestFingerprint('POST', '/api/x', { a: ['1', 2] })).not.toBe(base);
  });
});

describe('readIdempotencyKey', () => {
  it('accepts 1 to 255 printable ASCII characters', () => {
    expect(readIdempotencyKey({ 'idempotency-key': 'a' })).toBe('a');
    expect(readIdempotencyKey({ 'idempotency-key': ' ~'.repeat(127) + '!' })).toHaveLength(255);
  });

  it.each([['x'.repeat(256)], ['caf\u00e9'], ['a\tb'], ['a\u0000b']])('refuses %j with VALIDATION_FAILED', (key) => {
    expect(() => readIdempotencyKey({ 'idempotency-key': key })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('treats a missing or empty key as missing', () => {
    for (const headers of [{}, { 'idempotency-key': '' }]) {
      expect(() => readIdempotencyKey(headers)).toThrow(expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REQUIRED' }));
    }
  });
});
