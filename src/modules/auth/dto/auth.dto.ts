import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Role } from '../../../common/request-context/request-context';

export class LoginDto {
  @ApiProperty({ description: 'Tenant id or slug', example: 'demo' })
  @IsString()
  @MinLength(1)
  @MaxLength(63)
  tenant!: string;

  @ApiProperty({ example: 'admin@demo.local' })
  @IsString()
  @MinLength(1)
  @MaxLength(254)
  email!: string;

  @ApiProperty({ example: 'demo-admin-password' })
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  password!: string;
}

export class RefreshDto {
  /** Any string: one that is not a live refresh token is a credential problem (401), not a validation one. */
  @ApiProperty({ description: 'The refreshToken of the last pair' })
  @IsString()
  refreshToken!: string;
}

export class TokenPairDto {
  @ApiProperty() accessToken!: string;
  @ApiProperty() refreshToken!: string;
  @ApiProperty({ enum: ['Bearer'] }) tokenType!: 'Bearer';
  @ApiProperty({ description: 'Seconds until the access token expires', example: 900 }) expiresIn!: number;
}

export class MeDto {
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ format: 'uuid' }) tenantId!: string;
  @ApiProperty({ example: 'demo' }) tenantSlug!: string;
  @ApiProperty() email!: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role!: Role;
}
