import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { ROLES } from '../../../common/decorators/roles.decorator';
import { DomainError } from '../../../common/errors/domain-error';
import { Role } from '../../../common/request-context/request-context';

/** `@Roles('admin')`: an authenticated caller of another role gets 403. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES, [context.getHandler(), context.getClass()]);
    if (!roles?.length) return true;
    const principal = context.switchToHttp().getRequest<FastifyRequest>().ctx.principal;
    if (principal && roles.includes(principal.role)) return true;
    throw new DomainError('FORBIDDEN', `this action needs the ${roles.join(' or ')} role`);
  }
}
