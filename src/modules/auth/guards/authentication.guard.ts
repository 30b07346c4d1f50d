import { createHash, timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyRequest } from 'fastify';
import { AppConfig } from '../../../config/app-config';
import { APP_CONFIG } from '../../../config/config.module';
import { IS_PLATFORM } from '../../../common/decorators/platform-admin.decorator';
import { IS_PUBLIC } from '../../../common/decorators/public.decorator';
import { DomainError } from '../../../common/errors/domain-error';
import { Principal } from '../../../common/request-context/request-context';
import { SessionRegistry } from '../session-registry';
import { TokenService } from '../token.service';

export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/i.exec(header.trim());
  return match ? match[1] : null;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

function admit(request: FastifyRequest, principal: Principal, sessionActive: boolean): true {
  if (!sessionActive) throw new DomainError('UNAUTHENTICATED', 'the session has ended');
  request.ctx.principal = principal;
  return true;
}

/**
 * Deny by default: every route needs a valid access token of a live session
 * unless it is `@Public()`. `@PlatformAdmin()` routes take the operator
 * token instead (compared in constant time; unset, they always answer 401).
 *
 * Like the other global guards, it answers synchronously when it can (here:
 * the session's state is cached), since Nest awaits only guards that return
 * a promise: an async guard costs every request a few promises and turns of
 * the microtask queue.
 */
@Injectable()
export class AuthenticationGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenService,
    private readonly sessions: SessionRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    if (this.reflector.getAllAndOverride<boolean>(IS_PLATFORM, targets)) {
      if (!this.isPlatformToken(bearerToken(request))) throw new DomainError('UNAUTHENTICATED', 'a valid platform token is required');
      return true;
    }
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const token = bearerToken(request);
    if (!token) throw new DomainError('UNAUTHENTICATED', 'a bearer access token is required');
    const principal = this.tokens.verifyAccessToken(token);
    const active = this.sessions.isActive(principal.tenantId, principal.sessionId);
    return typeof active === 'boolean' ? admit(request, principal, active) : active.then((live) => admit(request, principal, live));
  }

  isPlatformToken(token: string | null): boolean {
    const expected = this.config.PLATFORM_ADMIN_TOKEN;
    return !!expected && !!token && timingSafeEqual(digest(token), digest(expected));
  }
}
