import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../errors/problem-details';

/** Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('saas-core')
    .setDescription(
      'Multi-tenant commerce core: tenants, users, catalog, carts, orders and wallets. ' +
        'Errors are RFC 9457 problem documents (application/problem+json). Amounts are integers in minor units.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'PLATFORM_ADMIN_TOKEN' }, 'platform')
    .addGlobalParameters({
      name: 'X-Tenant-ID',
      in: 'header',
      required: false,
      description: 'Optional: the caller’s own tenant id or slug; another tenant is 403 TENANT_MISMATCH',
      schema: { type: 'string' },
    })
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDetailsDto] });
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'saas-core API',
    swaggerOptions: { persistAuthorization: true },
  });
}
