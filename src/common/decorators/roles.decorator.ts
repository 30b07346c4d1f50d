import { SetMetadata } from '@nestjs/common';
import { Role } from '../request-context/request-context';

export const ROLES = 'auth:roles';

/** Restricts a route to the given roles (checked after authentication). */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES, roles);
