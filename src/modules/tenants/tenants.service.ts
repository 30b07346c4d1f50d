import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DomainError } from '../../common/errors/domain-error';
import { isUniqueViolation } from '../../database/database-errors';
import { UnitOfWork } from '../../database/unit-of-work';
import { PasswordHasher } from '../auth/password-hasher';
import { CreateTenantDto, TenantResponseDto } from './dto/create-tenant.dto';
import { TenantDirectory } from './tenant-directory';

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    private readonly directory: TenantDirectory,
  ) {}

  /** Creates the tenant and its first admin in one transaction. */
  async create(input: CreateTenantDto): Promise<TenantResponseDto> {
    const id = randomUUID();
    const passwordHash = await this.hasher.hash(input.adminPassword);
    try {
      const tenant = await this.uow.forTenant(id, async (tx) => {
        const [row] = await tx.query<TenantRow>(
          'INSERT INTO tenants (id, slug, name) VALUES ($1, $2, $3) RETURNING id, slug, name, created_at',
          [id, input.slug, input.name],
        );
        await tx.query("INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, 'admin')", [
          id,
          input.adminEmail,
          passwordHash,
        ]);
        return row;
      });
      this.directory.remember(tenant);
      return { id: tenant.id, slug: tenant.slug, name: tenant.name, createdAt: tenant.created_at.toISOString() };
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('CONFLICT', `a tenant with slug ${input.slug} already exists`);
      throw error;
    }
  }

  async count(): Promise<number> {
    const [row] = await this.uow.withoutTenant((tx) => tx.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants'));
    return row.n;
  }
}
