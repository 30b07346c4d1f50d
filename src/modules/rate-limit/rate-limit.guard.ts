import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors/domain-error';
import { refusalDetail, retryAfterHeader, setRateLimitHeaders } from './rate-limit.http';
import { RateLimitRule, RateLimitRules } from './rate-limit-rules';
import { RateLimitService } from './rate-limit.service';
import { RouteThrottleMetadata } from './route-throttle-metadata';

/**
 * First of the global guards, before authentication. Requests are normally
 * counted earlier, by RateLimitHttpBinding's onRequest hooks (see there why);
 * this guard counts, with the same rules and metadata, any request that
 * reached a handler without passing there (an application built without
 * `createApp`, a route registered outside Nest's router), so no route is
 * ever unlimited by accident.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: RateLimitService,
    private readonly rules: RateLimitRules,
    private readonly metadata: RouteThrottleMetadata,
  ) {}

  /** Synchronous when the request was already counted, the common case (see AuthenticationGuard on why). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.limiter.enabled || context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    if (request.rateLimitCounted) return true;
    const metadata = this.metadata.of(context.getClass(), context.getHandler() as (...args: never[]) => unknown);
    if (metadata?.skip) return true;
    const rule = this.rules.forRoute(request.method, request.routeOptions.url ?? request.url, metadata?.limit, metadata?.ttl);
    if (!rule) return true;
    return this.count(request, http.getResponse<FastifyReply>(), rule);
  }

  private async count(request: FastifyRequest, reply: FastifyReply, rule: RateLimitRule): Promise<boolean> {
    request.rateLimitCounted = true;
    const record = await this.limiter.hit(rule, request.ctx?.ip ?? request.ip);
    setRateLimitHeaders(reply, rule, record);
    if (!record.isBlocked) return true;
    this.limiter.refused(rule, record, request);
    throw new DomainError('RATE_LIMITED', refusalDetail(rule), undefined, retryAfterHeader(record));
  }
}
