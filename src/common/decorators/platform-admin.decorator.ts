import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ProblemDetailsDto } from '../errors/problem-details';

export const IS_PLATFORM = 'auth:platform';

/** The route takes the operator's PLATFORM_ADMIN_TOKEN, never a user token. */
export const PlatformAdmin = () =>
  applyDecorators(
    SetMetadata(IS_PLATFORM, true),
    ApiBearerAuth('platform'),
    ApiUnauthorizedResponse({ type: ProblemDetailsDto, description: 'Missing or wrong platform token' }),
  );
