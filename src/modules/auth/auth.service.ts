import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainError } from '../../common/errors/domain-error';
import { AuthenticatedContext, Principal, RequestContext, Role } from '../../common/request-context/request-context';
import { Tx, UnitOfWork } from '../../database/unit-of-work';
import { AUDIT_RECORDER, AuditRecorder } from '../audit/audit.types';
import { TenantDirectory } from '../tenants/tenant-directory';
import { LoginDto, MeDto } from './dto/auth.dto';
import { PasswordHasher } from './password-hasher';
import { SessionRegistry } from './session-registry';
import { hashRefreshToken, TokenPair, TokenService } from './token.service';

const invalidCredentials = () => new DomainError('UNAUTHENTICATED', 'invalid credentials');
const invalidRefreshToken = () => new DomainError('UNAUTHENTICATED', 'the refresh token is invalid, expired or revoked');

interface RefreshRow {
  session_id: string;
  rotated_at: Date | null;
  revoked_at: Date | null;
  expired: boolean;
  user_id: string;
  role: Role;
}

@Injectable()
export class AuthService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly sessions: SessionRegistry,
    private readonly tenants: TenantDirectory,
    @Inject(AUDIT_RECORDER) private readonly audit: AuditRecorder,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** The same 401, in about the same time, for an unknown tenant, an unknown user and a wrong password. */
  async login(_ctx: RequestContext, input: LoginDto): Promise<TokenPair> {
    const tenant = await this.tenants.resolve(input.tenant);
    const email = input.email.trim().toLowerCase();
    const user = tenant
      ? (
          await this.uow.forTenant(tenant.id, (tx) =>
            tx.query<{ id: string; role: Role; password_hash: string }>(
              'SELECT id, role, password_hash FROM users WHERE tenant_id = $1 AND email = $2',
              [tenant.id, email],
            ),
          )
        )[0]
      : undefined;
    const valid = await this.hasher.verify(input.password, user?.password_hash);
    if (!tenant || !user || !valid) {
      this.audit.record({
        type: 'AUTH_FAILED',
        severity: 'WARNING',
        tenantId: tenant?.id ?? null,
        userId: user?.id ?? null,
        outcome: 'failure',
        metadata: { tenant: input.tenant.slice(0, 63), email: email.slice(0, 254), reason: !tenant ? 'unknown tenant' : 'bad credentials' },
      });
      throw invalidCredentials();
    }
    const principal: Principal = { tenantId: tenant.id, userId: user.id, role: user.role, sessionId: randomUUID() };
    const refresh = this.tokens.newRefreshToken(tenant.id);
    await this.uow.forTenant(tenant.id, async (tx) => {
      await tx.query(
        `INSERT INTO sessions (id, tenant_id, user_id, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
        [principal.sessionId, tenant.id, user.id, this.config.REFRESH_TOKEN_TTL],
      );
      await this.storeRefreshToken(tx, tenant.id, principal.sessionId, refresh.hash);
    });
    this.audit.record({ type: 'AUTH_LOGIN', tenantId: tenant.id, userId: user.id, resourceType: 'session', resourceId: principal.sessionId, outcome: 'success' });
    return this.tokens.pair(principal, refresh.token);
  }

  /**
   * Rotates the refresh token. A token that was already rotated is a sign of
   * theft: the whole session is revoked (that commits), then 401.
   */
  async refresh(_ctx: RequestContext, token: string): Promise<TokenPair> {
    const tenantId = this.tokens.refreshTokenTenant(token);
    if (!tenantId) throw invalidRefreshToken();
    const next = this.tokens.newRefreshToken(tenantId);
    const outcome = await this.uow.forTenant(tenantId, async (tx) => {
      const [row] = await tx.query<RefreshRow>(
        `SELECT rt.session_id, rt.rotated_at, s.revoked_at, s.expires_at <= now() AS expired, s.user_id, u.role
           FROM refresh_tokens rt
           JOIN sessions s ON s.tenant_id = rt.tenant_id AND s.id = rt.session_id
           JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
          WHERE rt.token_hash = $1
          FOR UPDATE OF rt, s`,
        [hashRefreshToken(token)],
      );
      if (!row || row.revoked_at || row.expired) return { kind: 'invalid' as const };
      if (row.rotated_at) {
        await this.sessions.revokeInTransaction(tx, row.session_id, 'refresh-token-reuse');
        return { kind: 'reused' as const, row };
      }
      await tx.query('UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1', [hashRefreshToken(token)]);
      await this.storeRefreshToken(tx, tenantId, row.session_id, next.hash);
      return { kind: 'rotated' as const, row };
    });
    if (outcome.kind === 'invalid') throw invalidRefreshToken();
    const { row } = outcome;
    if (outcome.kind === 'reused') {
      await this.sessions.broadcastRevocation(row.session_id);
      this.audit.record({
        type: 'SECURITY_VIOLATION',
        severity: 'CRITICAL',
        tenantId,
        userId: row.user_id,
        resourceType: 'session',
        resourceId: row.session_id,
        outcome: 'failure',
        metadata: { reason: 'refresh token reused; session revoked' },
      });
      throw invalidRefreshToken();
    }
    return this.tokens.pair({ tenantId, userId: row.user_id, role: row.role, sessionId: row.session_id }, next.token);
  }

  async logout(ctx: AuthenticatedContext): Promise<void> {
    const { tenantId, userId, sessionId } = ctx.principal;
    await this.uow.forTenant(tenantId, (tx) => this.sessions.revokeInTransaction(tx, sessionId, 'logout'));
    await this.sessions.broadcastRevocation(sessionId);
    this.audit.record({ type: 'AUTH_LOGOUT', tenantId, userId, resourceType: 'session', resourceId: sessionId, outcome: 'success' });
  }

  async me(ctx: AuthenticatedContext): Promise<MeDto> {
    const { tenantId, userId } = ctx.principal;
    const [user] = await this.uow.forTenant(tenantId, (tx) =>
      tx.query<{ email: string; role: Role; slug: string }>(
        'SELECT u.email, u.role, t.slug FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE u.tenant_id = $1 AND u.id = $2',
        [tenantId, userId],
      ),
    );
    if (!user) throw new DomainError('UNAUTHENTICATED', 'the user no longer exists');
    return { userId, tenantId, tenantSlug: user.slug, email: user.email, role: user.role };
  }

  private storeRefreshToken(tx: Tx, tenantId: string, sessionId: string, hash: string) {
    return tx.query('INSERT INTO refresh_tokens (token_hash, tenant_id, session_id) VALUES ($1, $2, $3)', [hash, tenantId, sessionId]);
  }
}
