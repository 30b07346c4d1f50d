import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { Role } from '../request-context/request-context';

export const SLUG_PATTERN = /^[a-z0-9-]{3,63}$/;
const NOT_UUID_SHAPED = /^(?![0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$)/;

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

/** An e-mail address, compared case-insensitively (stored lower-cased). */
export const IsAccountEmail = () =>
  applyDecorators(
    ApiProperty({ format: 'email', example: 'ada@example.com', maxLength: 254 }),
    Transform(lowerCase),
    IsString(),
    MaxLength(254),
    IsEmail({}, { message: 'must be an e-mail address' }),
  );

/** 8 to 128 characters: long enough to matter, short enough to hash cheaply. */
export const IsPassword = () =>
  applyDecorators(
    ApiProperty({ minLength: 8, maxLength: 128, example: 'correct horse battery staple' }),
    IsString(),
    MinLength(8),
    MaxLength(128),
  );

export const IsRole = () =>
  applyDecorators(ApiProperty({ enum: ['admin', 'member'] }), IsIn(['admin', 'member'] satisfies Role[]));

/** 3–63 of a-z, 0-9 and '-', never shaped like a UUID (so ids and slugs never collide). */
export const IsSlug = () =>
  applyDecorators(
    ApiProperty({ pattern: NOT_UUID_SHAPED.source + SLUG_PATTERN.source.slice(1), example: 'acme' }),
    IsString(),
    Matches(SLUG_PATTERN, { message: 'must be 3 to 63 characters of a-z, 0-9 and -' }),
    Matches(NOT_UUID_SHAPED, { message: 'must not look like a UUID' }),
  );
