import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { FastifyRequest } from 'fastify';
import { DomainError } from '../../../common/errors/domain-error';
import { Principal } from '../../../common/request-context/request-context';
import { AUDIT_RECORDER, AuditRecorder } from '../../audit/audit.types';
import { TenantDirectory } from '../../tenants/tenant-directory';

/**
 * The tenant always comes from the credentials. `X-Tenant-ID` may confirm it
 * (by id or slug) but never choose it: naming another tenant is refused and
 * recorded as a security violation in the caller's own tenant.
 */
@Injectable()
export class TenantGuard implements CanActivate {
  constructor(
    private readonly tenants: TenantDirectory,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
  ) {}

  /** Synchronous without `X-Tenant-ID`, the common case (see AuthenticationGuard on why). */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = request.ctx.principal;
    const claimed = request.headers['x-tenant-id'];
    if (!principal || claimed === undefined) return true;
    return this.confirm(request, principal, Array.isArray(claimed) ? claimed.join(',') : claimed);
  }

  private async confirm(request: FastifyRequest, principal: Principal, value: string): Promise<boolean> {
    const own = await this.tenants.resolve(principal.tenantId);
    const matches = !!own && (value.toLowerCase() === own.id || value === own.slug);
    if (matches) return true;
    this.audit.record({
      type: 'SECURITY_VIOLATION',
      severity: 'WARNING',
      tenantId: principal.tenantId,
      userId: principal.userId,
      outcome: 'failure',
      metadata: { reason: 'X-Tenant-ID names another tenant', claimedTenant: value.slice(0, 100), route: request.ctx.route },
    });
    throw new DomainError('TENANT_MISMATCH', 'X-Tenant-ID does not name the tenant of the credentials');
  }
}
