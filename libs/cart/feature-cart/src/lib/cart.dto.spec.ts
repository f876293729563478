import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { SetQuantityDto, SKU_PATTERN } from './cart.dto';

async function problems(body: unknown): Promise<string[]> {
  const errors = await validate(plainToInstance(SetQuantityDto, body) as object);
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(SetQuantityDto.name, () => {
  it.each([1, 2, 999])('accepts quantity %p', async (quantity) => {
    await expect(problems({ quantity })).resolves.toEqual([]);
  });

  it.each([
    [0, 'must be at least 1'],
    [1000, 'must be at most 999'],
    [1.5, 'must be an integer'],
    ['2', 'must be an integer'],
    [null, 'must be an integer'],
  ])('refuses quantity %p: %s', async (quantity, message) => {
    await expect(problems({ quantity })).resolves.toContain(message);
  });
});

describe('SKU_PATTERN', () => {
  it.each(['sku-1', 'A.b_C-9', 'x'.repeat(64)])('accepts %s', (sku) => {
    expect(SKU_PATTERN.test(sku)).toBe(true);
  });

  it.each(['', 'x'.repeat(65), 'with space', 'a/b', '../etc', 'é'])('refuses %j', (sku) => {
    expect(SKU_PATTERN.test(sku)).toBe(false);
  });
});
