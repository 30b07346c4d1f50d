import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CATALOG, ErrorCode, errorTypeUri } from './error-codes';
import { FieldError } from './domain-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

class FieldErrorDto {
  @ApiProperty({ example: 'amount' }) field!: string;
  @ApiProperty({ example: 'must be a positive integer' }) message!: string;
}

/** RFC 9457 problem document, the body of every error response. */
export class ProblemDetailsDto {
  @ApiProperty({ example: '/errors/insufficient-funds' }) type!: string;
  @ApiProperty({ example: 'Insufficient funds' }) title!: string;
  @ApiProperty({ example: 422 }) status!: number;
  @ApiProperty({ enum: Object.keys(ERROR_CATALOG), example: 'INSUFFICIENT_FUNDS' }) code!: ErrorCode;
  @ApiPropertyOptional({ example: 'wallet 3f… holds 120, 500 was asked' }) detail?: string;
  @ApiProperty({ example: '8c6f0d7e-…' }) requestId!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'Only on validation failures' })
  errors?: FieldError[];
}

export function buildProblem(code: ErrorCode, requestId: string, detail?: string, errors?: FieldError[]): ProblemDetailsDto {
  const { status, title } = ERROR_CATALOG[code];
  const problem: ProblemDetailsDto = { type: errorTypeUri(code), title, status, code, requestId };
  if (detail) problem.detail = detail;
  if (errors?.length) problem.errors = errors;
  return problem;
}
