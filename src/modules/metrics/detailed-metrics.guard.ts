import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { AuthenticationGuard, bearerToken } from '../auth/guards/authentication.guard';

/**
 * The summary of `GET /api/metrics` is public like the probes; asking for
 * any `detailed` value but `false` needs the platform token, checked before
 * the query is validated so that nothing is said to anonymous callers.
 */
@Injectable()
export class DetailedMetricsGuard implements CanActivate {
  constructor(private readonly authentication: AuthenticationGuard) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<FastifyRequest<{ Querystring: { detailed?: unknown } }>>();
    const detailed = request.query?.detailed;
    if (detailed === undefined || detailed === 'false') return true;
    if (!this.authentication.isPlatformToken(bearerToken(request))) {
      throw new DomainError('UNAUTHENTICATED', 'detailed metrics need the platform token');
    }
    return true;
  }
}
