import { ApiProperty, OpenAPIObject, PartialType } from '@nestjs/swagger';
import { IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
import { IsAmount, IsCurrency } from '../../../common/validation/money';

export const MAX_STOCK = 1_000_000_000;

export class CreateProductDto {
  @ApiProperty({ pattern: '^[A-Za-z0-9._-]{1,64}$', example: 'TSHIRT-RED-M' })
  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1 to 64 of A-Z a-z 0-9 . _ -' })
  sku!: string;

  @ApiProperty({ minLength: 1, maxLength: 200, example: 'Red T-shirt, M' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @IsAmount({ minimum: 0, description: 'Price of one unit in minor units; 0 is allowed' })
  unitPrice!: number;

  @IsCurrency()
  currency!: string;

  @ApiProperty({ type: 'integer', minimum: 0, maximum: MAX_STOCK, example: 100 })
  @IsInt({ message: 'must be an integer number' })
  @Min(0)
  @Max(MAX_STOCK)
  stock!: number;
}

/** Every field optional (but never null); at least one must be given. */
export class UpdateProductDto extends PartialType(CreateProductDto, { skipNullProperties: false }) {}

/** "At least one field", which no decorator declares, in the OpenAPI document. */
export function documentProductUpdate(document: OpenAPIObject): OpenAPIObject {
  const schema = document.components?.schemas?.[UpdateProductDto.name];
  if (schema && !('$ref' in schema)) schema.minProperties = 1;
  return document;
}

export class ProductDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() sku!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: 'integer', example: 1250 }) unitPrice!: number;
  @ApiProperty({ example: 'EUR' }) currency!: string;
  @ApiProperty({ type: 'integer' }) stock!: number;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class ProductPageDto {
  @ApiProperty({ type: [ProductDto] }) data!: ProductDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor!: string | null;
}

