import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength, MinLength, ValidateBy } from 'class-validator';
import { UUID_PATTERN } from '../../../common/pipes/parse-id.pipe';
import { IsAmount } from '../../../common/validation/money';

const lowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

/** The value differs from another property of the same object. */
const DiffersFrom = (property: string) =>
  ValidateBy({
    name: 'differsFrom',
    constraints: [property],
    validator: {
      validate: (value, args) => value !== (args?.object as Record<string, unknown>)[property],
      defaultMessage: () => `must differ from ${property}`,
    },
  });

const IsWalletId = () =>
  applyDecorators(
    ApiProperty({ format: 'uuid' }),
    Transform(lowerCase),
    IsString(),
    Matches(UUID_PATTERN, { message: 'must be a wallet id (UUID)' }),
  );

class WithReference {
  @ApiPropertyOptional({ type: String, nullable: true, minLength: 1, maxLength: 255, example: 'invoice 2024-117' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  reference?: string | null;
}

/** Body of a credit or a debit. */
export class AmountDto extends WithReference {
  @IsAmount()
  amount!: number;
}

export class CreateTransferDto extends WithReference {
  @IsWalletId()
  fromWalletId!: string;

  @IsWalletId()
  @DiffersFrom('fromWalletId')
  toWalletId!: string;

  @IsAmount()
  amount!: number;
}

export class TransferResponseDto {
  @ApiProperty({ format: 'uuid', description: 'The ledger transaction' }) id!: string;
  @ApiProperty({ format: 'uuid' }) fromWalletId!: string;
  @ApiProperty({ format: 'uuid' }) toWalletId!: string;
  @ApiProperty({ type: 'integer', example: 500 }) amount!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}
