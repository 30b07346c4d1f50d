import { ApiProperty, ApiPropertyOptional, IntersectionType } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';

const STATUSES = ['healthy', 'degraded', 'unhealthy'];

export class MetricsQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: '`true` adds the detailed sections; it needs the platform token (`Authorization: Bearer <PLATFORM_ADMIN_TOKEN>`)',
  })
  @IsOptional()
  @IsIn(['true', 'false'])
  detailed?: 'true' | 'false';
}

export class HealthCheckDto {
  @ApiProperty({ enum: ['database', 'memory', 'redis'], description: '`redis` only when REDIS_URL is set' })
  name!: string;

  @ApiProperty({ enum: STATUSES })
  status!: string;

  @ApiPropertyOptional({ description: 'Round trip in milliseconds (database, redis)', example: 1.25 })
  latency?: number;

  @ApiPropertyOptional({
    description:
      'memory: V8 heap in use / V8 heap limit (`v8.getHeapStatistics().heap_size_limit`, which follows ' +
      '--max-old-space-size and the container’s memory), degraded from 90%. A failed check says why.',
    example: '150MB / 512MB (29%)',
  })
  message?: string;
}

export class MetricsReportDto {
  @ApiProperty({
    enum: STATUSES,
    description: 'unhealthy (HTTP 503) when the database does not answer within 2 s; degraded when Redis is down or the heap is above 90%',
  })
  status!: string;

  @ApiProperty({ format: 'date-time' }) timestamp!: string;
  @ApiProperty({ description: 'Seconds since the process started', example: 3600 }) uptime!: number;
  @ApiProperty({ type: [HealthCheckDto] }) checks!: HealthCheckDto[];
}

class MemoryDto {
  @ApiProperty({ description: 'Resident set size, bytes' }) rss!: number;
  @ApiProperty({ description: 'V8 heap in use, bytes' }) heapUsed!: number;
  @ApiProperty({ description: 'V8 heap allocated, bytes' }) heapTotal!: number;
  @ApiProperty({ description: 'V8 heap limit, bytes' }) heapLimit!: number;
  @ApiProperty({ description: 'Memory of C++ objects bound to JavaScript, bytes' }) external!: number;
  @ApiProperty({ description: 'ArrayBuffers and Buffers, bytes' }) arrayBuffers!: number;
}

class AuditStatsDto {
  @ApiProperty({ description: 'Events waiting in this instance’s buffer' }) buffered!: number;
  @ApiProperty({ description: 'Buffered events written since start' }) flushed!: number;
  @ApiProperty({ description: 'Event writes retried after a failed batch' }) retried!: number;
  @ApiProperty({ description: 'Events dropped because the buffer was full' }) dropped!: number;
  @ApiProperty({ description: 'Batches that failed and were kept for retry' }) failedFlushes!: number;
}

class IdempotencyStatsDto {
  @ApiProperty({ type: 'integer', description: 'Keys claimed by a first attempt' }) claimed!: number;
  @ApiProperty({ type: 'integer', description: 'Recorded answers replayed' }) replayed!: number;
  @ApiProperty({ type: 'integer', description: 'Answers recorded' }) recorded!: number;
  @ApiProperty({ type: 'integer', description: 'Keys given back (validation failed, nothing happened)' }) released!: number;
  @ApiProperty({ type: 'integer', description: 'Attempts refused while the same key was running (409)' }) inProgress!: number;
  @ApiProperty({ type: 'integer', description: 'Keys reused for another request (422)' }) reused!: number;
  @ApiProperty({ type: 'integer', description: 'Expired keys deleted' }) pruned!: number;
}

class PoolStatsDto {
  @ApiProperty() total!: number;
  @ApiProperty() inUse!: number;
  @ApiProperty() idle!: number;
  @ApiProperty({ description: 'Queries waiting for a connection' }) waiting!: number;
  @ApiProperty() max!: number;
}

class DatabaseDetailsDto {
  @ApiProperty({ description: 'True on the embedded PGlite' }) embedded!: boolean;
  @ApiProperty({ type: PoolStatsDto, nullable: true }) pool!: PoolStatsDto | null;

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    nullable: true,
    description:
      'Rows per table, estimated from PostgreSQL statistics (`pg_stat_user_tables.n_live_tup`, kept current by every ' +
      'insert and delete and lagging by a few seconds; the planner’s `pg_class.reltuples` after a statistics reset). ' +
      'Exact counts would mean full scans, and row-level security limits the application role to one tenant’s rows. ' +
      'null while the database is down.',
    example: { tenants: 12, users: 340, audit_logs: 150000 },
  })
  records!: Record<string, number> | null;
}

class CpuUsageDto {
  @ApiProperty({ description: 'User CPU time since start, microseconds' }) user!: number;
  @ApiProperty({ description: 'System CPU time since start, microseconds' }) system!: number;
}

class ProcessDto {
  @ApiProperty() pid!: number;
  @ApiProperty({ description: 'Seconds since start' }) uptime!: number;
  @ApiProperty({ example: 'v20.19.0' }) nodeVersion!: string;
  @ApiProperty({ example: 'linux' }) platform!: string;
  @ApiProperty({ type: CpuUsageDto }) cpuUsage!: CpuUsageDto;
}

export class DetailedMetricsReportDto extends MetricsReportDto {
  @ApiProperty({ type: MemoryDto }) memory!: MemoryDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'What the rate limiter reports (storage in use, keys tracked, rejections); null until it is enabled',
  })
  rateLimiter!: Record<string, unknown> | null;

  @ApiProperty({ type: AuditStatsDto }) audit!: AuditStatsDto;
  @ApiProperty({ type: DatabaseDetailsDto }) database!: DatabaseDetailsDto;
  @ApiProperty({ type: ProcessDto }) process!: ProcessDto;
  @ApiProperty({ type: IdempotencyStatsDto, description: 'This instance’s idempotency-key counters since start' })
  idempotency!: IdempotencyStatsDto;
}

/** The members a problem document adds to an unhealthy report (its `status` stays the report's). */
class ProblemMembersDto {
  @ApiProperty({ example: '/errors/service-unavailable' }) type!: string;
  @ApiProperty({ example: 'Service unavailable' }) title!: string;
  @ApiProperty({ enum: ['SERVICE_UNAVAILABLE'] }) code!: string;
  @ApiPropertyOptional({ example: 'the database is unavailable' }) detail?: string;
  @ApiProperty() requestId!: string;
}

/** 503: the summary report, status `unhealthy`, as an application/problem+json document. */
export class UnhealthyMetricsReportDto extends IntersectionType(MetricsReportDto, ProblemMembersDto) {}

/** 503 with detailed=true: the detailed report as an application/problem+json document. */
export class UnhealthyDetailedMetricsReportDto extends IntersectionType(DetailedMetricsReportDto, ProblemMembersDto) {}
