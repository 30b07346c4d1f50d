import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ErrorCode } from '../../common/errors/error-codes';
import { IDEMPOTENCY_HEADER } from './idempotency-request';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/** The problem codes an idempotent route adds, for its `@ApiAuthenticated(...)`. */
export const IDEMPOTENCY_PROBLEMS: ErrorCode[] = ['IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'];

/**
 * Makes a route idempotent under a required `Idempotency-Key` header (API.md
 * "Idempotency"). Its service should call
 * `IdempotencyService.completeInTransaction(tx, ctx, result)` in the
 * transaction of its change, so that the change and the recorded answer
 * commit together; otherwise the answer is recorded right after.
 */
export const Idempotent = () =>
  applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: IDEMPOTENCY_HEADER,
      required: true,
      description:
        '1-255 printable ASCII characters, unique per intended operation. Repeating a request with the same key and body replays ' +
        'its first answer (header Idempotent-Replayed: true) without running it again. Keys are kept at least 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]{1,255}$' },
    }),
  );
