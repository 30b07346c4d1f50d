import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../../common/decorators/api-problems.decorator';
import { PlatformAdmin } from '../../common/decorators/platform-admin.decorator';
import { CreateTenantDto, TenantResponseDto } from './dto/create-tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('platform')
@Controller('admin/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(201)
  @PlatformAdmin()
  @ApiOperation({ summary: 'Create a tenant and its first admin (platform token)' })
  @ApiCreatedResponse({ type: TenantResponseDto })
  @ApiProblems('UNAUTHENTICATED', 'CONFLICT')
  create(@Body() body: CreateTenantDto): Promise<TenantResponseDto> {
    return this.tenants.create(body);
  }
}
