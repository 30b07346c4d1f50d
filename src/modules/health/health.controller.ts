import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { getHeapStatistics } from 'node:v8';
import { ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthCheckService, MemoryHealthIndicator, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../../common/decorators/public.decorator';
import { DatabaseState } from '../../database/database-state';
import { ApiHealthCheck } from './api-health-check.decorator';
import { LifecycleState } from './lifecycle-state';
import { RedisHealthIndicator } from './redis.health';

/**
 * A heap this close to V8's limit (which follows --max-old-space-size, 384 MB
 * in the manifests) means the process is leaking or overloaded: take it out
 * of rotation before it dies. GET /api/metrics reports `degraded` from 90 %.
 */
const HEAP_LIMIT_BYTES = Math.floor(getHeapStatistics().heap_size_limit * 0.95);
const DATABASE_PING_TIMEOUT_MS = 2000;

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly lifecycle: LifecycleState,
    private readonly databaseState: DatabaseState,
  ) {}

  @Get('startup')
  @ApiHealthCheck('Migrations have run and the service took traffic', 'Still starting')
  startup() {
    const started = this.lifecycle.started && this.databaseState.ready;
    return this.health.check([
      () => ({ startup: { status: started ? 'up' : 'down', migrationsApplied: this.databaseState.migrationsApplied.length } }),
    ]);
  }

  @Get('ready')
  @ApiHealthCheck('Ready: database reachable, Redis up or degraded, heap within bounds', 'Not ready, or draining after SIGTERM')
  ready() {
    if (this.lifecycle.draining) {
      throw new ServiceUnavailableException({
        status: 'error',
        info: {},
        error: { lifecycle: { status: 'down', message: 'shutting down' } },
        details: { lifecycle: { status: 'down', message: 'shutting down' } },
      });
    }
    return this.health.check([
      () => this.database.pingCheck('database').withTimeout(DATABASE_PING_TIMEOUT_MS),
      () => this.redis.check(),
      () => this.memory.checkHeap('memory_heap', HEAP_LIMIT_BYTES),
    ]);
  }
}
