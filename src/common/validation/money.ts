import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsNumber, Matches, Max, Min } from 'class-validator';

/** The largest amount or balance: JSON numbers stay exact up to here. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

/** An integer amount in minor units, `min..9007199254740991` (strings, fractions and null refused). */
export const IsMinorAmount = (min = 1, description = 'Integer amount in minor units (cents)') =>
  applyDecorators(
    ApiProperty({ type: 'integer', minimum: min, maximum: MAX_AMOUNT, example: 1250, description }),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: 'must be an integer number' }),
    IsInt({ message: 'must be an integer number' }),
    Min(min, { message: `must be at least ${min}` }),
    Max(MAX_AMOUNT, { message: `must be at most ${MAX_AMOUNT}` }),
  );

/** ISO-4217 shape: three upper-case letters. */
export const IsCurrencyCode = () =>
  applyDecorators(
    ApiProperty({ pattern: '^[A-Z]{3}$', example: 'EUR', description: 'ISO-4217 currency code' }),
    Matches(/^[A-Z]{3}$/, { message: 'must be three upper-case letters (ISO-4217)' }),
  );
