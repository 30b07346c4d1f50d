import { Global, Module } from '@nestjs/common';
import { AuditQueryService } from './audit-query.service';
import { AuditWriter } from './audit-writer';
import { AuditController, PlatformAuditController } from './audit.controller';
import { AuditInterceptor } from './audit.interceptor';
import { AuditService } from './audit.service';
import { AUDIT_RECORDER } from './audit.types';

@Global()
@Module({
  controllers: [AuditController, PlatformAuditController],
  providers: [
    AuditService,
    AuditWriter,
    AuditQueryService,
    AuditInterceptor,
    { provide: AUDIT_RECORDER, useExisting: AuditService },
  ],
  exports: [AuditService, AUDIT_RECORDER, AuditInterceptor],
})
export class AuditModule {}
