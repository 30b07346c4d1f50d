import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../errors/domain-error';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../errors/problem-details';
import { isDatabaseUnavailable, isUniqueViolation } from '../../database/database-errors';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

interface Resolved {
  code: ErrorCode;
  /** Extra members, e.g. the Terminus report of a failed health check. */
  extensions?: Record<string, unknown>;
  detail?: string;
  errors?: DomainError['errors'];
  headers?: Record<string, string>;
}

/** A body that cannot be read as JSON: a validation failure of the body as a whole. */
const invalidBody = (detail: string, message: string): Resolved => ({ code: 'VALIDATION_FAILED', detail, errors: [{ field: 'body', message }] });

/** Fastify's own errors (body parsing, limits) that reach the filter, with a safe detail. */
const FASTIFY_ERRORS: Record<string, Resolved> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PAYLOAD_TOO_LARGE', detail: 'the request body is over the size limit' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'the request body must be application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: invalidBody('the content length does not match the body', 'must be as long as Content-Length says'),
  FST_ERR_CTP_INVALID_JSON_BODY: invalidBody('the body is not valid JSON', 'must be valid JSON'),
};
const NOT_JSON = FASTIFY_ERRORS.FST_ERR_CTP_INVALID_JSON_BODY;

/**
 * Turns every error into an RFC 9457 problem document. Unknown errors are
 * logged with the request id and answered as a bare 500: no stack trace, SQL
 * or internal path ever reaches the client.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const resolved = this.resolve(exception);
    if (resolved.code === 'INTERNAL_ERROR') {
      this.logger.error(
        `unhandled error on ${request.method} ${request.routeOptions?.url ?? request.url}`,
        exception instanceof Error ? exception.stack : String(exception),
      );
    }
    sendProblem(reply, request.id, resolved);
  }

  private resolve(exception: unknown): Resolved {
    if (exception instanceof DomainError) {
      return { code: exception.code, detail: exception.detail, errors: exception.errors, headers: exception.headers };
    }
    if (exception instanceof ThrottlerException) return { code: 'RATE_LIMITED', detail: 'too many requests' };
    if (isDatabaseUnavailable(exception)) {
      return { code: 'SERVICE_UNAVAILABLE', detail: 'the database is unavailable, retry later', headers: { 'Retry-After': '5' } };
    }
    if (isUniqueViolation(exception)) {
      return { code: 'CONFLICT', detail: 'a resource with these unique values already exists' };
    }
    // Nest hands Fastify's 4xx errors (body parsing, limits) over as an HttpException caused by them.
    const original = exception instanceof HttpException && exception.cause ? exception.cause : exception;
    const fastifyCode = (original as { code?: string })?.code;
    if (fastifyCode && FASTIFY_ERRORS[fastifyCode]) return FASTIFY_ERRORS[fastifyCode];
    if (original instanceof SyntaxError || (original as { statusCode?: number })?.statusCode === 400) {
      return NOT_JSON;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      if (isHealthReport(body)) return { code: 'SERVICE_UNAVAILABLE', detail: 'a dependency is not healthy', extensions: body };
      const code = CODE_BY_STATUS[exception.getStatus()];
      if (code) return { code, detail: code === 'NOT_FOUND' ? 'no such resource' : undefined };
    }
    return { code: 'INTERNAL_ERROR' };
  }
}

/** Terminus answers failed checks with `{status, info, error, details}`, which API.md keeps as the body. */
function isHealthReport(body: unknown): body is Record<string, unknown> {
  return !!body && typeof body === 'object' && 'details' in body && 'status' in body;
}

export function sendProblem(reply: FastifyReply, requestId: string, resolved: Resolved): void {
  const problem = { ...buildProblem(resolved.code, requestId, resolved.detail, resolved.errors), ...resolved.extensions };
  if (resolved.headers) reply.headers(resolved.headers);
  // RFC 9110: a 401 names the scheme that would be accepted.
  if (resolved.code === 'UNAUTHENTICATED') reply.header('www-authenticate', 'Bearer realm="saas-core"');
  void reply.status(ERROR_CATALOG[resolved.code].status).header('content-type', PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}
