import { applyDecorators } from '@nestjs/common';
import { ApiOkResponse, ApiResponse } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { PROBLEM_CONTENT_TYPE } from '../../common/errors/problem-details';

/** One indicator's result: `status` and whatever the indicator adds (latency, message...). */
const indicators = (example: Record<string, unknown>, nullable: boolean) => ({
  type: 'object',
  nullable,
  example,
  additionalProperties: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['up', 'degraded', 'down'] } },
    additionalProperties: true,
  },
});

const report = (statuses: string[]) => ({
  status: { type: 'string', enum: statuses, example: statuses[0] },
  info: indicators({ database: { status: 'up' } }, true),
  error: indicators(statuses[0] === 'ok' ? {} : { database: { status: 'down', message: 'timeout' } }, true),
  details: indicators({ database: { status: 'up' } }, false),
});

/** Terminus's report, as a 200 answers it. */
export const HEALTH_REPORT = { type: 'object', required: ['status', 'details'], properties: report(['ok', 'degraded']) };

/**
 * A failed check: the Terminus report as a problem document (API.md keeps
 * the report's `status` member, "error", in place of the problem's number).
 */
const HEALTH_PROBLEM = {
  type: 'object',
  required: ['type', 'title', 'code', 'requestId', 'status', 'details'],
  properties: {
    type: { type: 'string', example: '/errors/service-unavailable' },
    title: { type: 'string', example: 'Service unavailable' },
    code: { type: 'string', enum: ['SERVICE_UNAVAILABLE'] },
    detail: { type: 'string' },
    requestId: { type: 'string' },
    ...report(['error', 'shutting_down']),
  },
};

/**
 * A Terminus health check documented as it answers: the report on 200, and
 * on 503 the same report as an `application/problem+json` document (the
 * exception filter's rendering, which Terminus's own documentation misses).
 */
export const ApiHealthCheck = (ok: string, unavailable?: string) =>
  applyDecorators(
    HealthCheck({ noCache: true, swaggerDocumentation: false }),
    ApiOkResponse({ description: ok, schema: HEALTH_REPORT }),
    ...(unavailable
      ? [ApiResponse({ status: 503, description: unavailable, content: { [PROBLEM_CONTENT_TYPE]: { schema: HEALTH_PROBLEM } } })]
      : []),
  );
