import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'auth:public';

/** Opts a route out of authentication, which is otherwise required everywhere. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
