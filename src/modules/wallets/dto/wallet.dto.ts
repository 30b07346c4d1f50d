import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength, MinLength } from 'class-validator';
import { PageQueryDto } from '../../../common/pagination/page';
import { UUID_PATTERN } from '../../../common/pipes/parse-id.pipe';
import { IsCurrency } from '../../../common/validation/money';

export class CreateWalletDto {
  @IsCurrency()
  currency!: string;

  @ApiPropertyOptional({ type: String, nullable: true, minLength: 1, maxLength: 100, example: 'Savings' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name?: string | null;
}

export class WalletListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admin only: the wallets of this user' })
  @IsOptional()
  @IsString()
  @Matches(UUID_PATTERN, { message: 'must be a UUID' })
  userId?: string;
}

export class WalletResponseDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) userId!: string;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: String, nullable: true, example: 'Savings' }) name!: string | null;
  @ApiProperty({ type: 'integer', minimum: 0, example: 120000, description: 'Minor units' }) balance!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WalletPageDto {
  @ApiProperty({ type: [WalletResponseDto] }) data!: WalletResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

/** One entry of a wallet: its side of a ledger transaction. */
export class WalletTransactionDto {
  @ApiProperty({ format: 'uuid', description: 'The ledger transaction (a transfer has the same id in both wallets)' }) id!: string;
  @ApiProperty({ enum: ['credit', 'debit', 'transfer', 'payment', 'refund'] }) type!: string;
  @ApiProperty({ type: 'integer', minimum: 1, example: 500 }) amount!: number;
  @ApiProperty({ enum: ['credit', 'debit'], description: 'credit: money came in; debit: money went out' }) direction!: 'credit' | 'debit';
  @ApiProperty({ type: 'integer', minimum: 0, example: 1500 }) balanceAfter!: number;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The other wallet of a transfer' })
  counterpartyWalletId!: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) orderId!: string | null;
  @ApiProperty({ type: String, nullable: true }) reference!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class WalletTransactionPageDto {
  @ApiProperty({ type: [WalletTransactionDto] }) data!: WalletTransactionDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}
