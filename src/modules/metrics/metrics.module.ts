import { Global, Module } from '@nestjs/common';
import { DetailedMetricsGuard } from './detailed-metrics.guard';
import { HealthReportService } from './health-report.service';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { MetricsSources } from './metrics-sources';
import { PrometheusController } from './prometheus.controller';

/**
 * Health report (`/api/metrics`), Prometheus (`/metrics`) and the extension
 * points other modules use: {@link MetricsService} counters and
 * {@link MetricsSources} for the detailed report. Global, so a module
 * injects them without importing this one.
 */
@Global()
@Module({
  controllers: [MetricsController, PrometheusController],
  providers: [MetricsService, MetricsSources, HealthReportService, DetailedMetricsGuard],
  exports: [MetricsService, MetricsSources],
})
export class MetricsModule {}
