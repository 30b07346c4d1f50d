import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { problemResponse } from '../decorators/api-problems.decorator';
import { ProblemDetailsDto } from '../errors/problem-details';
import { documentResponseHeaders } from './openapi-headers';
import { operationsOf } from './openapi-operations';

type DocumentAmendment = (document: OpenAPIObject) => OpenAPIObject;

/**
 * Swagger UI at /api/docs and the OpenAPI document at /api/docs-json.
 * `amendments` document the routes Nest does not know (plain Fastify routes).
 */
export function setupOpenApi(app: INestApplication, ...amendments: DocumentAmendment[]): void {
  const config = new DocumentBuilder()
    .setTitle('saas-core')
    .setDescription(
      'Multi-tenant commerce core: tenants, users, catalog, carts, orders and wallets. ' +
        'Errors are RFC 9457 problem documents (application/problem+json). Amounts are integers in minor units.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'PLATFORM_ADMIN_TOKEN' }, 'platform')
    .build();
  const generated = SwaggerModule.createDocument(app, config, { extraModels: [ProblemDetailsDto] });
  const amended = amendments.reduce((doc, amend) => amend(doc), generated);
  const document = documentResponseHeaders(closeRequestBodies(declareTenantHeader(declareBodyProblems(amended))));
  SwaggerModule.setup('api/docs', app, document, {
    jsonDocumentUrl: 'api/docs-json',
    customSiteTitle: 'saas-core API',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * Every route that can receive a body answers what the body parser answers
 * before any handler runs: 413 over BODY_LIMIT_BYTES, 415 for a body that
 * is not JSON (and 400 for malformed JSON, declared on every route). True
 * of every such route whether or not it reads a body, so declared here once.
 */
function declareBodyProblems(document: OpenAPIObject): OpenAPIObject {
  for (const { operation } of operationsOf(document).filter((o) => o.takesBody)) {
    operation.responses['413'] ??= problemResponse(['PAYLOAD_TOO_LARGE']);
    operation.responses['415'] ??= problemResponse(['UNSUPPORTED_MEDIA_TYPE']);
  }
  return document;
}

const TENANT_HEADER = {
  in: 'header' as const,
  name: 'X-Tenant-ID',
  required: false,
  description: 'Optional: the caller’s own tenant id or slug; another tenant is 403 TENANT_MISMATCH',
  schema: { type: 'string' },
};

/** X-Tenant-ID is checked against a user's access token: declared where one is taken. */
function declareTenantHeader(document: OpenAPIObject): OpenAPIObject {
  for (const { operation } of operationsOf(document)) {
    if (operation.security?.some((requirement) => 'bearer' in requirement)) operation.parameters = [...(operation.parameters ?? []), TENANT_HEADER];
  }
  return document;
}

/** Request bodies refuse unknown fields (400 VALIDATION_FAILED): their schemas say so. */
function closeRequestBodies(document: OpenAPIObject): OpenAPIObject {
  const schemas = document.components?.schemas ?? {};
  for (const { operation } of operationsOf(document)) {
    const body = operation.requestBody;
    const schema = body && 'content' in body ? body.content['application/json']?.schema : undefined;
    const name = schema && '$ref' in schema ? schema.$ref.split('/').pop()! : undefined;
    const target = (name ? schemas[name] : schema) as { type?: string; additionalProperties?: unknown } | undefined;
    if (target && target.type === 'object' && target.additionalProperties === undefined) target.additionalProperties = false;
  }
  return document;
}
