import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RequestContext, requestContextStorage } from '../request-context/request-context';
import { sanitizeBody } from './body-sanitizer';
import { clientIp } from './client-ip';

declare module 'fastify' {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/**
 * Per-request plumbing shared by every route: the request context (entered
 * into AsyncLocalStorage for the rest of the request), the X-Request-Id
 * header, body sanitizing, and exactly one access-log line per request.
 */
export function registerRequestLifecycle(app: FastifyInstance, trustedHops: number): void {
  app.decorateRequest('ctx', null as unknown as RequestContext);

  app.addHook('onRequest', (request, reply, done) => {
    const ctx: RequestContext = {
      requestId: request.id,
      ip: clientIp(request, trustedHops),
      method: request.method,
      route: request.routeOptions.url,
    };
    request.ctx = ctx;
    reply.header('X-Request-Id', request.id);
    requestContextStorage.run(ctx, done);
  });

  app.addHook('preValidation', (request, _reply, done) => {
    try {
      sanitizeBody(request);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    logAccess(request, reply);
    done();
  });
}

function logAccess(request: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const level = status >= 500 ? 'error' : 'info';
  // Below the logger's level, the line's fields are not even gathered (request.log is our pino logger).
  if (!(request.log as Logger).isLevelEnabled(level)) return;
  request.log[level](
    {
      requestId: request.id,
      tenantId: request.ctx?.principal?.tenantId,
      userId: request.ctx?.principal?.userId,
      method: request.method,
      route: request.routeOptions.url,
      url: request.url,
      status,
      ip: request.ctx?.ip,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100,
    },
    'request completed',
  );
}
