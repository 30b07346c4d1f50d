import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { errorCodes, FastifyBaseLogger, FastifyInstance, LogController } from 'fastify';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { answerClientError } from './common/http/client-error';
import { registerConditionalGet } from './common/http/conditional-get';
import { escapeUndecodablePath, MAX_PARAM_LENGTH } from './common/http/malformed-url';
import { requestIdFor } from './common/http/request-id';
import { registerRequestLifecycle } from './common/http/request-lifecycle';
import { registerSecurityHeaders } from './common/http/security-headers';
import { trackRoutes } from './common/http/route-registry';
import { setupOpenApi } from './common/http/openapi';
import { createLogger, PinoNestLogger } from './common/logging/logger';
import { documentProductUpdate } from './modules/catalog/dto/product.dto';
import { documentLiveness, registerLivenessRoutes } from './modules/health/liveness.route';
import { RateLimitHttpBinding } from './modules/rate-limit/rate-limit.http';

/**
 * Only JSON bodies are accepted (anything else is 415 before a handler runs),
 * and an empty body is no body, whatever its Content-Type says (Fastify
 * refuses it): a client that always sends `Content-Type: application/json`
 * can still call the routes that take none (logout, cancel), and a route
 * that needs a body reports the missing fields, as without the header.
 */
function acceptJsonBodiesOnly(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  fastify.addContentTypeParser('*', (request, _payload, done) => {
    if (request.headers['content-length'] === '0') done(null, undefined);
    else done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(request.headers['content-type'] ?? '(none)'), undefined);
  });
}

/**
 * Builds the whole service on Fastify, ready to listen. `main.ts` and every
 * e2e suite boot it through here, so tests run exactly what production runs.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const logger = createLogger(config.LOG_LEVEL);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    // One access-log line per request is written by our own onResponse hook.
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request: the logger's mixin already stamps the request id, tenant and
    // user from the request context, and a child (bindings serialized, redaction set up) cost
    // about a twentieth of a liveness answer.
    childLoggerFactory: (rootLogger: FastifyBaseLogger) => rootLogger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    requestIdHeader: false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    rewriteUrl: (request: { url?: string }) => escapeUndecodablePath(request.url ?? '/'),
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  const fastify = adapter.getInstance();
  acceptJsonBodiesOnly(fastify);
  trackRoutes(fastify);
  registerSecurityHeaders(fastify);
  registerRequestLifecycle(fastify, config.TRUST_PROXY);
  registerConditionalGet(fastify);

  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, logger), adapter, {
    logger: new PinoNestLogger(logger),
    bodyParser: false,
    abortOnError: false,
  });
  // Before Nest registers its routes: the limiter binds a rule to each of them as they come.
  app.get(RateLimitHttpBinding).install(fastify);
  registerLivenessRoutes(fastify);
  // `/metrics` (Prometheus) lives at the root; `/api/metrics` is declared with its full path because
  // the bare `metrics` path is excluded from the prefix.
  app.setGlobalPrefix('api', { exclude: ['metrics', 'api/metrics'] });
  setupOpenApi(app, documentLiveness, documentProductUpdate);
  return app;
}
