import { ERROR_CATALOG, ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  message: string;
}

/**
 * The one error type services throw: a code from API.md, a detail safe to
 * show to the client, and field errors for validation failures.
 */
export class DomainError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? ERROR_CATALOG[code].title);
    this.status = ERROR_CATALOG[code].status;
  }
}

export const notFound = (what: string) => new DomainError('NOT_FOUND', `${what} not found`);
export const validationFailed = (errors: FieldError[]) =>
  new DomainError('VALIDATION_FAILED', errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
