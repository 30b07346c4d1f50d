import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { IsAccountEmail, IsPassword, IsSlug } from '../../../common/validation/validators';

export class CreateTenantDto {
  @IsSlug()
  slug!: string;

  @ApiProperty({ example: 'Acme Inc.', minLength: 1, maxLength: 200 })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @IsAccountEmail()
  adminEmail!: string;

  @IsPassword()
  adminPassword!: string;
}

export class TenantResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'acme' }) slug!: string;
  @ApiProperty({ example: 'Acme Inc.' }) name!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
