import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { DomainError } from '../../common/errors/domain-error';
import { AUDIT_RECORDER, AuditEventType, AuditRecorder } from './audit.types';

export const AUDIT_METADATA = 'audit:event';

export interface AuditRouteOptions {
  /** Resource type recorded with the event, e.g. `wallet`. */
  resource: string;
}

/** Validation failures change nothing and are not attempts worth an audit event. */
const NOT_AUDITED = new Set(['VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_IN_PROGRESS']);

/**
 * Records failed attempts at audited routes. `@Audit()` binds it to its
 * routes only: a global interceptor would put every other route through
 * Nest's rxjs pipeline for nothing.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const meta = this.reflector.get<(AuditRouteOptions & { type: AuditEventType }) | undefined>(AUDIT_METADATA, context.getHandler());
    if (!meta) return next.handle();
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return next.handle().pipe(
      tap({
        error: (error: unknown) => {
          const code = error instanceof DomainError ? error.code : 'INTERNAL_ERROR';
          if (NOT_AUDITED.has(code) || !request.ctx.principal) return;
          const params = request.params as Record<string, string> | undefined;
          this.audit.record({
            type: meta.type,
            severity: code === 'INTERNAL_ERROR' ? 'ERROR' : 'WARNING',
            resourceType: meta.resource,
            resourceId: params?.id?.slice(0, 64),
            outcome: 'failure',
            metadata: { code },
          });
        },
      }),
    );
  }
}
