import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { LifecycleState } from './lifecycle-state';
import { RedisHealthIndicator } from './redis.health';

@Global()
@Module({
  imports: [TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' })],
  controllers: [HealthController],
  providers: [LifecycleState, RedisHealthIndicator],
  exports: [LifecycleState, RedisHealthIndicator, TerminusModule],
})
export class HealthModule {}
