import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, Matches } from 'class-validator';
import { PageQueryDto } from '../../../common/pagination/page';
import { AUDIT_EVENT_TYPES, AUDIT_SEVERITIES, AuditEventType, AuditSeverity } from '../audit.types';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AUDIT_EVENT_TYPES })
  @IsOptional()
  @IsIn(AUDIT_EVENT_TYPES)
  type?: AuditEventType;

  @ApiPropertyOptional({ enum: AUDIT_SEVERITIES })
  @IsOptional()
  @IsIn(AUDIT_SEVERITIES)
  severity?: AuditSeverity;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Events before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;
}

export class PlatformAuditQueryDto extends AuditQueryDto {
  @ApiPropertyOptional({ description: 'A tenant id, or `none` for the tenant-less events' })
  @IsOptional()
  @Matches(/^(none|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/, {
    message: 'must be a tenant id or none',
  })
  tenantId?: string;
}

export class AuditLogDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: AUDIT_EVENT_TYPES }) type!: AuditEventType;
  @ApiProperty({ enum: AUDIT_SEVERITIES }) severity!: AuditSeverity;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) tenantId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) userId!: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceType!: string | null;
  @ApiProperty({ type: String, nullable: true }) resourceId!: string | null;
  @ApiProperty({ type: String, nullable: true }) ip!: string | null;
  @ApiProperty({ type: String, nullable: true }) requestId!: string | null;
  @ApiProperty({ type: String, nullable: true, enum: ['success', 'failure'] }) outcome!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AuditLogPageDto {
  @ApiProperty({ type: [AuditLogDto] }) data!: AuditLogDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

export class AuditVerifyDto {
  @ApiProperty({ description: 'True when every link of the chain holds' }) valid!: boolean;
  @ApiProperty({ description: 'Events checked' }) checked!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The first event whose link is broken' })
  firstBrokenId!: string | null;
}
