import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptions } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, Min } from 'class-validator';

/** The largest amount or balance: 2^53 - 1, the last integer a JSON number holds exactly. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/**
 * An amount in minor units: a JSON integer in `minimum`..2^53-1 (1 unless
 * told: a product price may be 0). With no implicit conversion, "10", 1.5,
 * null and a missing field all fail; 1e21 and 9007199254740993 (parsed as
 * 2^53) fail the upper bound.
 */
export const IsAmount = (options: ApiPropertyOptions & { minimum?: number } = {}) => {
  const minimum = options.minimum ?? 1;
  const message = minimum === 1 ? 'must be a positive integer' : `must be an integer of at least ${minimum}`;
  return applyDecorators(
    ApiProperty({ type: 'integer', maximum: MAX_AMOUNT, example: 1250, description: 'Minor units (cents)', ...options, minimum } as ApiPropertyOptions),
    IsInt({ message }),
    Min(minimum, { message }),
    Max(MAX_AMOUNT, { message: `must be at most ${MAX_AMOUNT}` }),
  );
};

/** An ISO-4217-shaped currency code: three upper-case letters. */
export const IsCurrency = () =>
  applyDecorators(
    ApiProperty({ pattern: CURRENCY_PATTERN.source, example: 'EUR', description: 'ISO-4217 code' }),
    IsString(),
    Matches(CURRENCY_PATTERN, { message: 'must be an ISO-4217 code of three upper-case letters' }),
  );
