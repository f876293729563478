import { IsInt, Max, Min } from 'class-validator';

export class SetQuantityDto {
  @IsInt({ message: 'must be an integer' })
  @Min(1, { message: 'must be at least 1' })
  @Max(999, { message: 'must be at most 999' })
  readonly quantity!: number;
}

/** A stock-keeping unit: letters, digits, `.`, `_`, `-`; 1–64 characters. */
export const SKU_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
