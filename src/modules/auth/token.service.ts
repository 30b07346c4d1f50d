import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { DomainError } from '../../common/errors/domain-error';
import { UUID_PATTERN } from '../../common/pipes/parse-id.pipe';
import { Principal, Role } from '../../common/request-context/request-context';

interface AccessClaims {
  sub: string;
  tid: string;
  role: Role;
  sid: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

const REFRESH_PREFIX = 'rt1';

/**
 * Access tokens are HS256 JWTs (the algorithm pinned both ways, so `alg:
 * none` or RS/HS confusion is refused). Refresh tokens are opaque random
 * strings that carry their tenant id (row-level security needs it to find
 * the row) and are stored only as SHA-256 hashes.
 */
@Injectable()
export class TokenService {
  constructor(
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  issueAccessToken(principal: Principal): string {
    const claims: AccessClaims = { sub: principal.userId, tid: principal.tenantId, role: principal.role, sid: principal.sessionId };
    return this.jwt.sign(claims, { algorithm: 'HS256', expiresIn: this.config.ACCESS_TOKEN_TTL });
  }

  pair(principal: Principal, refreshToken: string): TokenPair {
    return {
      accessToken: this.issueAccessToken(principal),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.ACCESS_TOKEN_TTL,
    };
  }

  verifyAccessToken(token: string): Principal {
    let claims: AccessClaims;
    try {
      claims = this.jwt.verify<AccessClaims & object>(token, { algorithms: ['HS256'] });
    } catch {
      throw new DomainError('UNAUTHENTICATED', 'the access token is invalid or expired');
    }
    const { sub, tid, role, sid, exp } = claims as AccessClaims & { exp?: unknown };
    // Every token we sign expires; one without `exp` was not made by us, whatever its signature says.
    const wellFormed = [sub, tid, sid].every((v) => typeof v === 'string' && UUID_PATTERN.test(v)) && (role === 'admin' || role === 'member');
    if (!wellFormed || typeof exp !== 'number') {
      throw new DomainError('UNAUTHENTICATED', 'the access token is invalid or expired');
    }
    return { userId: sub, tenantId: tid, role, sessionId: sid };
  }

  newRefreshToken(tenantId: string): { token: string; hash: string } {
    const token = `${REFRESH_PREFIX}.${tenantId}.${randomBytes(32).toString('base64url')}`;
    return { token, hash: hashRefreshToken(token) };
  }

  /** The tenant a refresh token belongs to, or `null` for anything not shaped like one. */
  refreshTokenTenant(token: string): string | null {
    const [prefix, tenantId, secret, extra] = token.split('.');
    return prefix === REFRESH_PREFIX && UUID_PATTERN.test(tenantId ?? '') && secret?.length === 43 && extra === undefined
      ? tenantId
      : null;
  }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
