import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode } from '../errors/error-codes';

/** Declares the problem answers a route can give, grouped by status, in the OpenAPI document. */
export const ApiProblems = (...codes: ErrorCode[]) => {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of ['VALIDATION_FAILED', 'RATE_LIMITED', 'SERVICE_UNAVAILABLE', ...codes] as ErrorCode[]) {
    const status = ERROR_CATALOG[code].status;
    byStatus.set(status, [...new Set([...(byStatus.get(status) ?? []), code])]);
  }
  return applyDecorators(
    ...[...byStatus].map(([status, list]) =>
      ApiResponse({
        status,
        description: list.join(', '),
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      }),
    ),
  );
};

/** A route for signed-in users: bearer token, 401 and the tenant header check. */
export const ApiAuthenticated = (...codes: ErrorCode[]) =>
  applyDecorators(ApiBearerAuth('bearer'), ApiProblems('UNAUTHENTICATED', 'TENANT_MISMATCH', ...codes));

