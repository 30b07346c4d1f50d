import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsUUID, Max, Min } from 'class-validator';

export const MAX_LINE_QUANTITY = 1000;
export const MAX_CART_LINES = 100;

export class AddCartItemDto {
  @ApiProperty({ format: 'uuid' })
  @IsUUID('all', { message: 'must be a product id (UUID)' })
  productId!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY, example: 2 })
  @IsInt({ message: 'must be an integer number' })
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class UpdateCartItemDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_LINE_QUANTITY, description: '0 removes the line' })
  @IsInt({ message: 'must be an integer number' })
  @Min(0)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class CartLineDto {
  @ApiProperty({ format: 'uuid' }) productId!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', description: 'Current catalog price, minor units' }) unitPrice!: number;
  @ApiProperty({ type: 'integer', minimum: 1, maximum: MAX_LINE_QUANTITY }) quantity!: number;
  @ApiProperty({ type: 'integer', description: 'unitPrice × quantity' }) lineTotal!: number;
}

export class CartDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ type: String, nullable: true, example: 'EUR', description: 'Set by the first line; null while empty' })
  currency!: string | null;
  @ApiProperty({ type: [CartLineDto] }) items!: CartLineDto[];
  @ApiProperty({ type: 'integer', description: 'Number of units (sum of quantities)' }) itemCount!: number;
  @ApiProperty({ type: 'integer', description: 'Sum of line totals, minor units' }) total!: number;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}
