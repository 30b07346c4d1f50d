/** Every error code of API.md with its HTTP status and user-facing title. */
export const ERROR_CATALOG = {
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, title: 'Idempotency key required' },
  UNAUTHENTICATED: { status: 401, title: 'Unauthenticated' },
  FORBIDDEN: { status: 403, title: 'Forbidden' },
  TENANT_MISMATCH: { status: 403, title: 'Tenant mismatch' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  REQUEST_TIMEOUT: { status: 408, title: 'Request timeout' },
  OUT_OF_STOCK: { status: 409, title: 'Out of stock' },
  INVALID_TRANSITION: { status: 409, title: 'Invalid status transition' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'Idempotent request in progress' },
  CONFLICT: { status: 409, title: 'Conflict' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient funds' },
  CURRENCY_MISMATCH: { status: 422, title: 'Currency mismatch' },
  CART_EMPTY: { status: 422, title: 'Cart is empty' },
  CART_LIMIT_EXCEEDED: { status: 422, title: 'Cart limit exceeded' },
  AMOUNT_TOO_LARGE: { status: 422, title: 'Amount too large' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, title: 'Request header fields too large' },
  INTERNAL_ERROR: { status: 500, title: 'Internal server error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** `INSUFFICIENT_FUNDS` → `/errors/insufficient-funds`. */
export function errorTypeUri(code: ErrorCode): string {
  return `/errors/${code.toLowerCase().replace(/_/g, '-')}`;
}
