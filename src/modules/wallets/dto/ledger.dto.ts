import { ApiProperty } from '@nestjs/swagger';

export class CurrencySummaryDto {
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: 'integer', description: 'Balance of the external (funding) account: negative as it funds wallets', example: -120000 })
  external!: number;
  @ApiProperty({ type: 'integer', example: 20000 }) revenue!: number;
  @ApiProperty({ type: 'integer', description: 'Sum of the wallets', example: 100000 }) wallets!: number;
  @ApiProperty({ type: 'integer', description: 'external + revenue + wallets: 0 in a consistent ledger', example: 0 }) sum!: number;
}

export class LedgerSummaryDto {
  @ApiProperty({ description: 'Every sum is 0 and every cached balance equals the sum of its entries' }) consistent!: boolean;
  @ApiProperty({ type: [CurrencySummaryDto] }) currencies!: CurrencySummaryDto[];
}
