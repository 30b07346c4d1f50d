import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { UnitOfWork } from '../../database/unit-of-work';
import { PasswordHasher } from '../auth/password-hasher';
import { TenantsService } from './tenants.service';

/** The demo tenant of the README; the same values are documented there. */
export const DEMO = {
  slug: 'demo',
  name: 'Demo Store',
  adminEmail: 'admin@demo.local',
  adminPassword: 'demo-admin-password',
  memberEmail: 'member@demo.local',
  memberPassword: 'demo-member-password',
};

/** With SEED_DEMO, an empty database gets the demo tenant, its admin and a member. */
@Injectable()
export class DemoSeeder implements OnApplicationBootstrap {
  private readonly logger = new Logger(DemoSeeder.name);

  constructor(
    private readonly tenants: TenantsService,
    private readonly uow: UnitOfWork,
    private readonly hasher: PasswordHasher,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SEED_DEMO || (await this.tenants.count()) > 0) return;
    const tenant = await this.tenants.create(DEMO);
    const memberHash = await this.hasher.hash(DEMO.memberPassword);
    await this.uow.forTenant(tenant.id, (tx) =>
      tx.query("INSERT INTO users (tenant_id, email, password_hash, role) VALUES ($1, $2, $3, 'member')", [
        tenant.id,
        DEMO.memberEmail,
        memberHash,
      ]),
    );
    this.logger.log(`seeded demo tenant "${DEMO.slug}" (admin ${DEMO.adminEmail}, member ${DEMO.memberEmail})`);
  }
}
