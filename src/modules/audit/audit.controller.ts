import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiAuthenticated, ApiProblems } from '../../common/decorators/api-problems.decorator';
import { Ctx } from '../../common/decorators/ctx.decorator';
import { PlatformAdmin } from '../../common/decorators/platform-admin.decorator';
import { Roles } from '../../common/decorators/roles.decorator';
import { AuthenticatedContext } from '../../common/request-context/request-context';
import { AuditQueryService } from './audit-query.service';
import { AuditLogPageDto, AuditQueryDto, AuditVerifyDto, PlatformAuditQueryDto } from './dto/audit.dto';

@ApiTags('audit')
@Controller('audit-logs')
@Roles('admin')
@ApiAuthenticated('FORBIDDEN')
export class AuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @ApiOperation({ summary: 'The tenant’s audit events, newest first (admin)' })
  @ApiOkResponse({ type: AuditLogPageDto })
  list(@Ctx() ctx: AuthenticatedContext, @Query() query: AuditQueryDto) {
    return this.audit.listForTenant(ctx.principal.tenantId, query);
  }

  @Get('verify')
  @ApiOperation({ summary: 'Walk the tenant’s hash chain and report the first broken link (admin)' })
  @ApiOkResponse({ type: AuditVerifyDto })
  verify(@Ctx() ctx: AuthenticatedContext) {
    return this.audit.verifyTenant(ctx.principal.tenantId);
  }
}

@ApiTags('platform')
@Controller('admin/audit-logs')
export class PlatformAuditController {
  constructor(private readonly audit: AuditQueryService) {}

  @Get()
  @PlatformAdmin()
  @ApiOperation({ summary: 'Audit events of every tenant and the tenant-less ones (platform token)' })
  @ApiOkResponse({ type: AuditLogPageDto })
  @ApiProblems()
  list(@Query() query: PlatformAuditQueryDto) {
    return this.audit.listForPlatform(query);
  }
}
