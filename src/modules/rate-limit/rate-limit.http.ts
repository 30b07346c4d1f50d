import { Injectable } from '@nestjs/common';
import { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler, RouteOptions } from 'fastify';
import { sendProblem } from '../../common/filters/problem-details.filter';
import { routeHooks } from '../../common/http/route-hooks';
import { RateLimitRule, RateLimitRules } from './rate-limit-rules';
import { RateLimitService } from './rate-limit.service';
import { RouteThrottleMetadata } from './route-throttle-metadata';
import { RateLimitRecord } from './fixed-window';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set once the limiter has counted this request, so the guard does not count it again. */
    rateLimitCounted: boolean;
  }
}

/** Marks the hooks this binding adds to a route, so a route seen twice (HEAD copies) is not counted twice. */
const LIMITER_HOOK = Symbol('rateLimitHook');
type MarkedHook = onRequestHookHandler & { [LIMITER_HOOK]?: true };

/**
 * Where the limiter runs: in Fastify's onRequest phase, right after routing,
 * before the body is read and before every guard. That keeps the contract exact
 * where a Nest guard could not:
 * - requests that fail before any guard (malformed JSON, 413, 415) are
 *   counted and carry the X-RateLimit headers like every other answer;
 * - requests under /api that match no route (404) are counted too, in the
 *   family their path names;
 * - a refusal costs no body parsing, no authentication and no Nest pipeline.
 * The rule of each route is fixed once, when Nest registers it (onRoute):
 * its path family, or what its `@SkipThrottle()` / `@Throttle()` metadata
 * says (found by the `Controller.method` name Nest gives the handler). Each
 * limited route then gets its own onRequest hook with its rule baked in, so
 * a request pays no lookup. RateLimitGuard, first of the global guards,
 * counts whatever reached a handler without passing here.
 */
@Injectable()
export class RateLimitHttpBinding {
  constructor(
    private readonly limiter: RateLimitService,
    private readonly rules: RateLimitRules,
    private readonly metadata: RouteThrottleMetadata,
  ) {}

  /** Call before Nest registers its routes (right after NestFactory.create). */
  install(fastify: FastifyInstance): void {
    fastify.decorateRequest('rateLimitCounted', false);
    if (!this.limiter.enabled) return;
    fastify.addHook('onRoute', (route) => this.bindRoute(route));
    // Requests no route matched never reach a route hook: limit them by their path.
    fastify.addHook('onRequest', (request, reply, done) => {
      if (!request.is404) return done();
      const rule = this.rules.forPath(request.url);
      if (!rule) return done();
      this.limit(rule, request, reply, done);
    });
  }

  private bindRoute(route: RouteOptions): void {
    const existing = routeHooks(route.onRequest);
    if (existing.some((hook) => (hook as MarkedHook)[LIMITER_HOOK])) return;
    const rule = this.ruleOf(route);
    if (!rule) return;
    const hook: MarkedHook = (request, reply, done) => this.limit(rule, request, reply, done);
    hook[LIMITER_HOOK] = true;
    route.onRequest = [...existing, hook];
  }

  private ruleOf(route: RouteOptions): RateLimitRule | null {
    const metadata = this.metadata.ofHandlerName(route.handler.name);
    if (metadata?.skip) return null;
    // The HEAD twin Fastify adds to a GET route shares its bucket.
    const method = Array.isArray(route.method) ? route.method.join(',') : route.method === 'HEAD' ? 'GET' : route.method;
    return this.rules.forRoute(method, route.url, metadata?.limit, metadata?.ttl);
  }

  /** Counts the request, then lets it go on (`done()`) or answers 429 itself. */
  limit(rule: RateLimitRule, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    request.rateLimitCounted = true;
    const counted = this.limiter.hit(rule, request.ctx.ip);
    if (counted instanceof Promise) {
      counted.then((record) => this.answer(rule, record, request, reply) && done(), done);
    } else if (this.answer(rule, counted, request, reply)) {
      done();
    }
  }

  /** Sets the headers; over the limit, sends the 429 and returns false. */
  private answer(rule: RateLimitRule, record: RateLimitRecord, request: FastifyRequest, reply: FastifyReply): boolean {
    setRateLimitHeaders(reply, rule, record);
    if (!record.isBlocked) return true;
    this.limiter.refused(rule, record, request);
    sendProblem(reply, request.id, { code: 'RATE_LIMITED', detail: refusalDetail(rule), headers: retryAfterHeader(record) });
    return false;
  }
}

export const refusalDetail = (rule: RateLimitRule) => `over ${rule.limit} requests per ${rule.windowMs / 1000} s on ${rule.pattern}`;
export const retryAfterHeader = (record: RateLimitRecord) => ({ 'Retry-After': String(Math.max(1, record.timeToBlockExpire)) });

/**
 * X-RateLimit-Reset: whole seconds until the window ends and the whole limit
 * is back (on a refusal, the same as Retry-After). Names are
 * given lower-case and values as strings: Fastify lower-cases every name it
 * stores (so this is what goes on the wire anyway) and Node validates every
 * value; this spares both a conversion on every answer.
 */
export function setRateLimitHeaders(reply: FastifyReply, rule: RateLimitRule, record: RateLimitRecord): void {
  reply.header('x-ratelimit-limit', rule.limitHeader);
  reply.header('x-ratelimit-remaining', String(Math.max(0, rule.limit - record.totalHits)));
  reply.header('x-ratelimit-reset', String(record.timeToExpire));
}
