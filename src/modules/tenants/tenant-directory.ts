import { Injectable } from '@nestjs/common';
import { UUID_PATTERN } from '../../common/pipes/parse-id.pipe';
import { UnitOfWork } from '../../database/unit-of-work';

export interface TenantRef {
  id: string;
  slug: string;
}

const MAX_CACHED = 10_000;

/**
 * Resolves a tenant id or slug. Tenants never change id or slug and are
 * never deleted, so a found tenant is cached for the life of the process.
 */
@Injectable()
export class TenantDirectory {
  private readonly byKey = new Map<string, TenantRef>();

  constructor(private readonly uow: UnitOfWork) {}

  async resolve(idOrSlug: string): Promise<TenantRef | null> {
    const key = idOrSlug.toLowerCase();
    const cached = this.byKey.get(key);
    if (cached) return cached;
    const column = UUID_PATTERN.test(key) ? 'id' : 'slug';
    const rows = await this.uow.withoutTenant((tx) =>
      tx.query<TenantRef>(`SELECT id, slug FROM tenants WHERE ${column} = $1`, [key]),
    );
    const tenant = rows[0] ?? null;
    if (tenant) this.remember(tenant);
    return tenant;
  }

  remember(tenant: TenantRef): void {
    if (this.byKey.size >= MAX_CACHED) this.byKey.clear();
    this.byKey.set(tenant.id, tenant);
    this.byKey.set(tenant.slug, tenant);
  }
}
