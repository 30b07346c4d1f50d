import { hash } from 'node:crypto';
import { CallHandler, ExecutionContext, Injectable, NestInterceptor, UseInterceptors, applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import { FastifyReply, FastifyRequest } from 'fastify';
import { map, Observable } from 'rxjs';

/** A strong validator of the JSON text: equal bodies, equal tags. */
// One-shot `hash` (no Hash object per call): same digest as createHash, a few µs cheaper per read.
const etagOf = (json: string) => `"${hash('sha256', json, 'base64url').slice(0, 27)}"`;

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((candidate) => {
    const tag = candidate.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}

/**
 * Conditional reads: sets `ETag` on the answer and answers `304 Not
 * Modified` with no body when `If-None-Match` names it. Hashing the body is
 * cheaper than the round trip it saves on a client's unchanged cart.
 */
@Injectable()
export class ETagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body) => {
        const json = JSON.stringify(body);
        const etag = etagOf(json);
        reply.header('ETag', etag);
        reply.header('Cache-Control', 'private, no-cache');
        if (matches(request.headers['if-none-match'], etag)) {
          reply.status(304);
          return undefined;
        }
        // The text just hashed is the answer: left an object, Fastify would serialize it again.
        reply.type('application/json; charset=utf-8');
        return json;
      }),
    );
  }
}

/** A GET route answered with an ETag and `304` on a matching `If-None-Match`. */
export const ConditionalGet = () =>
  applyDecorators(
    UseInterceptors(ETagInterceptor),
    ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from a previous answer: 304 when unchanged' }),
    ApiResponse({ status: 304, description: 'Not modified: the ETag still matches' }),
  );
