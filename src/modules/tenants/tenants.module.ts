import { Global, Module } from '@nestjs/common';
import { DemoSeeder } from './demo-seeder';
import { TenantDirectory } from './tenant-directory';
import { TenantsController } from './tenants.controller';
import { TenantsService } from './tenants.service';

@Global()
@Module({
  controllers: [TenantsController],
  providers: [TenantsService, TenantDirectory, DemoSeeder],
  exports: [TenantsService, TenantDirectory],
})
export class TenantsModule {}
