import { OpenAPIObject } from '@nestjs/swagger';
import { Operation, operationsOf } from './openapi-operations';

// The OpenAPI object types @nestjs/swagger does not export, as far as this file reads them.
interface HeaderObject {
  description: string;
  schema: { type: string; enum?: string[] };
}
interface ResponseObject {
  headers?: Record<string, unknown>;
}

const integer = (description: string): HeaderObject => ({ description, schema: { type: 'integer' } });

const REQUEST_ID: HeaderObject = {
  description: 'The request id: an incoming X-Request-Id of 1-128 of A-Z a-z 0-9 . _ : - echoed, else a new one',
  schema: { type: 'string' },
};
const RATE_LIMIT: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': integer('Requests per window allowed on this path family'),
  'X-RateLimit-Remaining': integer('Requests left in the current window'),
  'X-RateLimit-Reset': integer('Seconds until the window ends and the whole limit is back'),
};
const RETRY_AFTER = integer('Seconds until a request is allowed again (equals X-RateLimit-Reset)');
const REPLAYED: HeaderObject = {
  description: '`true` when this is the recorded answer of an earlier request with the same Idempotency-Key',
  schema: { type: 'string', enum: ['true'] },
};
const ETAG: HeaderObject = { description: 'A strong validator of the body: send it back in If-None-Match', schema: { type: 'string' } };

/** `/api/health*` and everything outside `/api` (`/metrics`) are never rate limited (API.md). */
const isRateLimited = (path: string) => path.startsWith('/api/') && !path.startsWith('/api/health');

const hasHeaderParameter = (operation: Operation, name: string) =>
  (operation.parameters ?? []).some((p) => 'in' in p && p.in === 'header' && p.name.toLowerCase() === name.toLowerCase());

/**
 * Declares the response headers API.md promises, on the operations that send
 * them: X-Request-Id on every answer; the X-RateLimit-* trio on every answer
 * of a limited path and Retry-After on its 429; Idempotent-Replayed on the
 * answers of idempotent operations; ETag on the 200 of conditional reads.
 * Derived from the document itself, so a new route is covered as it lands.
 */
export function documentResponseHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const { path, operation } of operationsOf(document)) {
    const idempotent = hasHeaderParameter(operation, 'Idempotency-Key');
    const conditional = hasHeaderParameter(operation, 'If-None-Match');
    for (const [status, response] of Object.entries(operation.responses)) {
      if (!response || '$ref' in response) continue;
      const headers: Record<string, unknown> = { ...(response as ResponseObject).headers, 'X-Request-Id': REQUEST_ID };
      if (isRateLimited(path)) Object.assign(headers, RATE_LIMIT);
      if (isRateLimited(path) && status === '429') headers['Retry-After'] = RETRY_AFTER;
      if (idempotent) headers['Idempotent-Replayed'] = REPLAYED;
      if (conditional && (status === '200' || status === '304')) headers.ETag = ETAG;
      (response as ResponseObject).headers = headers;
    }
  }
  return document;
}
