import 'reflect-metadata';
import { Controller, Get, Global, Module, Param } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { ProblemDetailsFilter } from '../../common/filters/problem-details.filter';
import { RequestContext } from '../../common/request-context/request-context';
import { loadConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { AUDIT_RECORDER } from '../audit/audit.types';
import { MetricsService } from '../metrics/metrics.service';
import { MetricsSources } from '../metrics/metrics-sources';
import { SessionRegistry } from '../auth/session-registry';
import { TokenService } from '../auth/token.service';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitHttpBinding } from './rate-limit.http';
import { RateLimitModule } from './rate-limit.module';

@Controller('api/things')
class ThingsController {
  @Get('skipped')
  @SkipThrottle()
  skipped() {
    return { ok: true };
  }

  @Get('own')
  @Throttle({ default: { limit: 2, ttl: 10_000 } })
  own() {
    return { ok: true };
  }

  @Get(':id')
  one(@Param('id') id: string) {
    return { id };
  }
}

@SkipThrottle()
@Controller('api/quiet')
class QuietController {
  @Get(':id')
  get() {
    return { ok: true };
  }
}

@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useValue: loadConfig({ RATE_LIMIT_DEFAULT: '3', LOG_LEVEL: 'silent' }) },
    { provide: AUDIT_RECORDER, useValue: { record: jest.fn(), recordInTransaction: jest.fn() } },
    { provide: TokenService, useValue: { verifyAccessToken: jest.fn() } },
    { provide: SessionRegistry, useValue: { isActive: jest.fn() } },
    { provide: MetricsService, useValue: { rateLimitRejections: { inc: jest.fn() } } },
    MetricsSources,
  ],
  exports: [APP_CONFIG, AUDIT_RECORDER, TokenService, SessionRegistry, MetricsService, MetricsSources],
})
class Dependencies {}

@Module({
  imports: [Dependencies, RateLimitModule],
  controllers: [ThingsController, QuietController],
  providers: [
    { provide: APP_GUARD, useExisting: RateLimitGuard },
    { provide: APP_FILTER, useClass: ProblemDetailsFilter },
  ],
})
class TestModule {}

async function boot(installHook: boolean): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter();
  const fastify = adapter.getInstance();
  // What the request lifecycle of createApp provides: the client address in request.ctx.
  fastify.decorateRequest('ctx', null as unknown as RequestContext);
  fastify.addHook('onRequest', (request, _reply, done) => {
    request.ctx = { requestId: request.id, ip: request.ip, method: request.method };
    done();
  });
  const app = await NestFactory.create<NestFastifyApplication>(TestModule, adapter, { logger: false, abortOnError: false });
  if (installHook) app.get(RateLimitHttpBinding).install(fastify);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

/** Over a real socket (light-my-request's ESM dependencies do not load under Jest). */
async function inject(app: NestFastifyApplication, url: string) {
  const response = await fetch(`${await app.getUrl()}${url}`);
  await response.text();
  return { statusCode: response.status, headers: Object.fromEntries(response.headers.entries()) };
}

async function statusesOf(app: NestFastifyApplication, url: string, n: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await inject(app, url)).statusCode);
  return statuses;
}

describe.each([
  ['in the onRequest hook', true],
  ['in the guard, when the hook is not installed', false],
])('@SkipThrottle / @Throttle metadata, applied %s', (_how, installHook) => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await boot(installHook);
  });
  afterAll(() => app.close());

  it('limits a plain route by its path family (default: 3)', async () => {
    expect(await statusesOf(app, '/api/things/1', 5)).toEqual([200, 200, 200, 429, 429]);
  });

  it('never limits a @SkipThrottle() handler, nor sets the headers', async () => {
    expect(await statusesOf(app, '/api/things/skipped', 6)).toEqual(Array(6).fill(200));
    expect((await inject(app, '/api/things/skipped')).headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('never limits the handlers of a @SkipThrottle() controller', async () => {
    expect(await statusesOf(app, '/api/quiet/1', 6)).toEqual(Array(6).fill(200));
  });

  it('gives a @Throttle() handler its own limit and bucket', async () => {
    const first = await inject(app, '/api/things/own');
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect(Number(first.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(10);
    expect(await statusesOf(app, '/api/things/own', 2)).toEqual([200, 429]);
  });
});
