import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { Public } from '../../common/decorators/public.decorator';
import { buildProblem, PROBLEM_CONTENT_TYPE } from '../../common/errors/problem-details';
import { RequestContext } from '../../common/request-context/request-context';
import { DetailedMetricsGuard } from './detailed-metrics.guard';
import {
  DetailedMetricsReportDto,
  MetricsQueryDto,
  MetricsReportDto,
  UnhealthyDetailedMetricsReportDto,
  UnhealthyMetricsReportDto,
} from './dto/metrics.dto';
import { HealthReport, HealthReportService } from './health-report.service';

/**
 * `GET /api/metrics`. Its path is excluded from the global prefix in
 * bootstrap.ts, like the Prometheus `/metrics`, which owns the bare
 * `metrics` path. Rate limited like the rest of `/api` (only the probes and
 * the scraper are not).
 */
@ApiTags('health')
@ApiExtraModels(MetricsReportDto, DetailedMetricsReportDto, UnhealthyMetricsReportDto, UnhealthyDetailedMetricsReportDto)
@Controller('api/metrics')
export class MetricsController {
  constructor(private readonly reports: HealthReportService) {}

  @Get()
  @Public()
  @UseGuards(DetailedMetricsGuard)
  // Credentials are optional: only detailed=true needs the platform token.
  @ApiSecurity({})
  @ApiBearerAuth('platform')
  @ApiOperation({
    summary: 'Service health in one document (no credentials); detailed=true adds internals (platform token)',
  })
  @ApiOkResponse({
    description: 'healthy or degraded; with detailed=true, the detailed report',
    // anyOf: the detailed report is also a report (JSON Schema objects allow more members).
    schema: { anyOf: [{ $ref: getSchemaPath(MetricsReportDto) }, { $ref: getSchemaPath(DetailedMetricsReportDto) }] },
  })
  @ApiServiceUnavailableResponse({
    description:
      'unhealthy (the database does not answer): the same report as a problem document (application/problem+json, ' +
      'code SERVICE_UNAVAILABLE) whose `status` member is "unhealthy"',
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { anyOf: [{ $ref: getSchemaPath(UnhealthyMetricsReportDto) }, { $ref: getSchemaPath(UnhealthyDetailedMetricsReportDto) }] },
      },
    },
  })
  @ApiProblems('UNAUTHENTICATED')
  async report(
    @Ctx() ctx: RequestContext,
    @Query() query: MetricsQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthReport | Record<string, unknown>> {
    const report = query.detailed === 'true' ? await this.reports.detailed() : await this.reports.summary();
    if (report.status !== 'unhealthy') return report;
    void reply.status(503).header('content-type', PROBLEM_CONTENT_TYPE).header('retry-after', '5');
    return { ...buildProblem('SERVICE_UNAVAILABLE', ctx.requestId, 'the database is unavailable'), ...report };
  }
}
