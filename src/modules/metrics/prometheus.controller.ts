import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { Registry } from 'prom-client';
import { Public } from '../../common/decorators/public.decorator';
import { MetricsService } from './metrics.service';

/** `GET /metrics` at the root (outside `/api`): for Prometheus, inside the cluster network. */
@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('metrics')
export class PrometheusController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  @Header('Cache-Control', 'no-store')
  @ApiProduces(Registry.PROMETHEUS_CONTENT_TYPE)
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format; no credentials, not rate limited)',
    description:
      'http_requests_total and http_request_duration_seconds by method, route template and status ' +
      '(route="unmatched" when no route matched); rate_limit_rejections_total; idempotent_replays_total; ' +
      'audit_buffered_events, audit_flushed_events_total, audit_dropped_events_total; ' +
      'db_pool_connections_in_use, db_pool_connections_idle, db_pool_requests_waiting, db_pool_connections_max; ' +
      'and the Node.js defaults (process_*, nodejs_*). Keep it inside the cluster network.',
  })
  @ApiOkResponse({ description: 'The metrics', schema: { type: 'string' } })
  scrape(): Promise<string> {
    return this.metrics.scrape();
  }
}
