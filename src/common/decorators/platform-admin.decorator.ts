import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblems } from './api-problems.decorator';

export const IS_PLATFORM = 'auth:platform';

/** The route takes the operator's PLATFORM_ADMIN_TOKEN, never a user token. */
export const PlatformAdmin = () =>
  applyDecorators(
    SetMetadata(IS_PLATFORM, true),
    ApiBearerAuth('platform'),
    // 401: a missing or wrong platform token.
    ApiProblems('UNAUTHENTICATED'),
  );
