import { ApiProperty } from '@nestjs/swagger';
import { IsAccountEmail, IsPassword, IsRole } from '../../../common/validation/validators';
import type { Role } from '../../../common/request-context/request-context';

export class CreateUserDto {
  @IsAccountEmail()
  email!: string;

  @IsPassword()
  password!: string;

  @IsRole()
  role!: Role;
}

export class UserResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ example: 'ada@example.com' }) email!: string;
  @ApiProperty({ enum: ['admin', 'member'] }) role!: Role;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class UserPageDto {
  @ApiProperty({ type: [UserResponseDto] }) data!: UserResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
