import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import type { Logger } from 'pino';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { ProblemDetailsFilter } from './common/filters/problem-details.filter';
import { LoggingModule } from './common/logging/logging.module';
import { PaginationModule } from './common/pagination/pagination.module';
import { createValidationPipe } from './common/pipes/validation.pipe';
import { DatabaseModule } from './database/database.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthModule } from './modules/auth/auth.module';
import { CartModule } from './modules/cart/cart.module';
import { CatalogModule } from './modules/catalog/catalog.module';
import { AuthenticationGuard } from './modules/auth/guards/authentication.guard';
import { RolesGuard } from './modules/auth/guards/roles.guard';
import { TenantGuard } from './modules/auth/guards/tenant.guard';
import { OrdersModule } from './modules/orders/orders.module';
import { HealthModule } from './modules/health/health.module';
import { IdempotencyModule } from './modules/idempotency/idempotency.module';
import { RateLimitGuard } from './modules/rate-limit/rate-limit.guard';
import { RateLimitModule } from './modules/rate-limit/rate-limit.module';
import { RedisModule } from './modules/redis/redis.module';
import { MetricsModule } from './modules/metrics/metrics.module';
import { TenantsModule } from './modules/tenants/tenants.module';
import { UsersModule } from './modules/users/users.module';
import { WalletsModule } from './modules/wallets/wallets.module';

/**
 * The whole service. Every global guard, interceptor, filter and pipe is
 * registered here, in the order they run.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        DatabaseModule.forRoot(config),
        RedisModule.forRoot(config),
        PaginationModule,
        HealthModule,
        MetricsModule,
        AuditModule,
        AuthModule,
        TenantsModule,
        UsersModule,
        CatalogModule,
        CartModule,
        IdempotencyModule,
        WalletsModule,
        OrdersModule,
        RateLimitModule,
      ],
      providers: [
        // Guards run in this order: rate limit, authentication, tenant, roles.
        // (The limiter counts most requests earlier still, in an onRequest hook: see RateLimitHttpBinding.)
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        { provide: APP_GUARD, useExisting: AuthenticationGuard },
        { provide: APP_GUARD, useClass: TenantGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
    };
  }
}
