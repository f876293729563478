import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';

export class SetQuantityDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 999, example: 2 })
  @IsInt({ message: 'must be an integer' })
  @Min(1, { message: 'must be at least 1' })
  @Max(999, { message: 'must be at most 999' })
  readonly quantity!: number;
}

/** A stock-keeping unit: letters, digits, `.`, `_`, `-`; 1–64 characters. */
export const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export class CartItemDto {
  @ApiProperty({ pattern: SKU_PATTERN.source, example: 'tea-earl-grey' })
  readonly sku!: string;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 999, example: 2 })
  readonly quantity!: number;
}

/** The cart as the API returns it. */
export class CartViewDto {
  @ApiProperty({ type: [CartItemDto] })
  readonly items!: CartItemDto[];

  @ApiProperty({
    type: 'string',
    format: 'date-time',
    nullable: true,
    description: 'Null until the first change.',
    example: '2025-01-01T12:00:00.000Z',
  })
  readonly updatedAt!: string | null;
}
