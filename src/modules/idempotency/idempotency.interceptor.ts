import { CallHandler, ExecutionContext, HttpStatus, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { FastifyRequest } from 'fastify';
import { catchError, from, mergeMap, Observable, of, throwError } from 'rxjs';
import { DomainError } from '../../common/errors/domain-error';
import { ErrorCode } from '../../common/errors/error-codes';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../../common/errors/problem-details';
import { readIdempotencyKey, requestFingerprint } from './idempotency-request';
import { IdempotencyClaim, IdempotencyService, serialize } from './idempotency.service';

export const REPLAYED_HEADER = 'Idempotent-Replayed';

/** Answers that say nothing ran: not recorded, so the same key can be retried. */
const NOT_RECORDED = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'IDEMPOTENCY_KEY_REQUIRED',
  'IDEMPOTENCY_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'UNAUTHENTICATED',
  'TENANT_MISMATCH',
  'RATE_LIMITED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);

/**
 * Runs a route under its `Idempotency-Key` (see {@link Idempotent}). Guards
 * have run; validation has not (the pipe runs after interceptors), so the key
 * is claimed first and given back when validation fails. A recorded request
 * is answered from the store without reaching the handler: same status,
 * byte-identical body, plus `Idempotent-Replayed: true`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger(IdempotencyInterceptor.name);

  constructor(private readonly idempotency: IdempotencyService) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.ctx.principal;
    if (!principal) return next.handle();
    const key = readIdempotencyKey(request.headers);
    const successStatus =
      (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ??
      (request.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
    const outcome = await this.idempotency.claim({
      tenantId: principal.tenantId,
      userId: principal.userId,
      key,
      fingerprint: requestFingerprint(request.method, request.url, request.body),
      method: request.method,
      path: request.url,
      successStatus,
    });
    if (outcome.kind === 'replay') return of(replay(outcome.status, outcome.body));

    const claim = outcome.claim;
    this.idempotency.attach(request.ctx, claim);
    return next.handle().pipe(
      mergeMap(async (result) => {
        if (!claim.completed) await this.recordSuccess(claim, successStatus, result);
        return result;
      }),
      catchError((error: unknown) => from(this.settleFailure(claim, request.id, error)).pipe(mergeMap(() => throwError(() => error)))),
    );
  }

  /**
   * For a route whose service did not store its answer in its own
   * transaction. The change is made: if the answer cannot be stored, the key
   * is left pending (a retry gets 409 until the lock times out) rather than
   * given back, and the client still gets its answer.
   */
  private async recordSuccess(claim: IdempotencyClaim, status: number, result: unknown): Promise<void> {
    try {
      await this.idempotency.record(claim, status, serialize(result));
    } catch (error) {
      this.logger.error(`the answer of a completed request could not be stored under its idempotency key: ${(error as Error).message}`);
    }
  }

  /** An error after validation is the key's answer; anything else gives the key back. */
  private async settleFailure(claim: IdempotencyClaim, requestId: string, error: unknown): Promise<void> {
    if (claim.completed) return;
    try {
      if (error instanceof DomainError && error.status < 500 && !NOT_RECORDED.has(error.code)) {
        // The same document the problem-details filter sends for this error.
        const body = JSON.stringify(buildProblem(error.code, requestId, error.detail, error.errors));
        await this.idempotency.record(claim, error.status, body);
      } else {
        await this.idempotency.release(claim);
      }
    } catch (storeError) {
      // The key stays pending and becomes reclaimable after the lock timeout.
      this.logger.warn(`could not settle an idempotency key: ${(storeError as Error).message}`);
    }
  }
}

/** A web Response is sent as is by Nest: its status wins over the route's `@HttpCode`. */
function replay(status: number, body: string): Response {
  // What Fastify sends with the first answer (it adds the charset).
  const contentType = `${status >= 400 ? PROBLEM_CONTENT_TYPE : 'application/json'}; charset=utf-8`;
  const empty = status === 204 || body === '';
  return new Response(empty ? null : body, {
    status,
    headers: {
      'content-type': contentType,
      'content-length': String(empty ? 0 : Buffer.byteLength(body)),
      [REPLAYED_HEADER]: 'true',
    },
  });
}
