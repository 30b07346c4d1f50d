import { createHmac } from 'node:crypto';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Hand-made JWTs for attack tests: any header, any claims, any HMAC secret (or none). */
export function forgeJwt(header: Record<string, unknown>, claims: Record<string, unknown>, secret?: string, hash = 'sha256'): string {
  const unsigned = `${b64(header)}.${b64(claims)}`;
  const signature = secret ? createHmac(hash, secret).update(unsigned).digest('base64url') : '';
  return `${unsigned}.${signature}`;
}

export function decodeJwt(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}
