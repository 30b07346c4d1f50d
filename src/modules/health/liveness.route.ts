import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HEALTH_REPORT } from './api-health-check.decorator';

const LIVENESS_PATHS = ['/api/health', '/api/health/live'] as const;

/** Terminus's report of a check with no indicators, which is all liveness is. */
const LIVENESS_BODY = JSON.stringify({ status: 'ok', info: {}, error: {}, details: {} });
const DESCRIPTION = 'Liveness: the process serves, whatever the database does';

/**
 * Liveness as plain Fastify routes. It answers 200 as long as the process
 * serves, so it needs nothing of the Nest pipeline: no guard (it is public
 * and never limited), no interceptor, no pipe, no Terminus indicator. Kept
 * out of it, a probe costs 40 % of the CPU it did (docs/PERFORMANCE.md) and
 * cannot be failed by anything a guard depends on. It still passes every
 * Fastify hook: security headers, X-Request-Id, metrics and the access log.
 *
 * Call after the limiter's binding is installed, so that it sees the routes.
 */
export function registerLivenessRoutes(fastify: FastifyInstance): void {
  for (const url of LIVENESS_PATHS) fastify.get(url, answerLiveness);
}

function answerLiveness(_request: FastifyRequest, reply: FastifyReply): void {
  void reply.header('cache-control', 'no-cache, no-store, must-revalidate').type('application/json; charset=utf-8').send(LIVENESS_BODY);
}

/** The routes in the OpenAPI document, as Terminus's decorator would have documented them. */
export function documentLiveness(document: OpenAPIObject): OpenAPIObject {
  const operation = (operationId: string) => ({
    operationId,
    tags: ['health'],
    responses: { '200': { description: DESCRIPTION, content: { 'application/json': { schema: HEALTH_REPORT } } } },
  });
  return {
    ...document,
    paths: { ...document.paths, '/api/health': { get: operation('LivenessRoute_root') }, '/api/health/live': { get: operation('LivenessRoute_live') } },
  };
}
