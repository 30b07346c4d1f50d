import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, DECORATORS } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';
import { PROBLEM_CONTENT_TYPE } from '../errors/problem-details';

/** What every route can answer: a malformed request, the rate limiter, a dependency down. */
const ALWAYS: ErrorCode[] = ['VALIDATION_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE'];

interface ResponseEntry {
  description?: string;
  content?: Record<string, { schema?: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } }>;
}

/** The problem answer of one status, whose schema names exactly the codes it can carry. */
export function problemResponse(codes: string[]): ResponseEntry & { description: string } {
  return {
    description: codes.join(', '),
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [
            { $ref: '#/components/schemas/ProblemDetailsDto' } as object,
            { type: 'object', properties: { code: { type: 'string', enum: codes } } } as object,
          ],
        },
      },
    },
  };
}

const codesOf = (entry: ResponseEntry | undefined): string[] =>
  entry?.content?.[PROBLEM_CONTENT_TYPE]?.schema?.allOf?.[1]?.properties?.code?.enum ?? [];

/** Adds the codes to the problem answers declared on `holder` (a handler or a controller), merging per status. */
function declare(holder: object, codes: ErrorCode[]): void {
  const responses: Record<string, ResponseEntry> = { ...(Reflect.getMetadata(DECORATORS.API_RESPONSE, holder) ?? {}) };
  for (const code of codes) {
    const status = String(ERROR_CATALOG[code].status);
    const merged = [...new Set([...codesOf(responses[status]), code])];
    responses[status] = problemResponse(merged);
  }
  Reflect.defineMetadata(DECORATORS.API_RESPONSE, responses, holder);
}

/**
 * Declares the problem answers a route can give, grouped by status, in the
 * OpenAPI document: each status's schema lists its codes. Repeated uses add
 * up, on a handler and on its controller alike (a handler that declares
 * problems of its own also gets its controller's: Swagger would otherwise
 * let the handler's answer for a status hide the controller's).
 */
export const ApiProblems =
  (...codes: ErrorCode[]): MethodDecorator & ClassDecorator =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    const all = [...ALWAYS, ...codes];
    if (descriptor) {
      declare(descriptor.value as object, all);
      return;
    }
    declare(target, all);
    const prototype = (target as { prototype?: Record<string, unknown> }).prototype ?? {};
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value;
      if (name !== 'constructor' && typeof handler === 'function' && Reflect.getMetadata(DECORATORS.API_RESPONSE, handler)) {
        declare(handler, all);
      }
    }
  };

/** A route for signed-in users: bearer token, 401 and the tenant header check. */
export const ApiAuthenticated = (...codes: ErrorCode[]) =>
  applyDecorators(ApiBearerAuth('bearer'), ApiProblems('UNAUTHENTICATED', 'TENANT_MISMATCH', ...codes));
