import type { Cart, CartRepository } from '@svt/cart/data-access';
import type { CartChangeFeed } from '@svt/shared/data-access-sessions';
import { MemoryCartChangeFeed } from '@svt/shared/data-access-sessions';
import { PublishingCartRepository } from './publishing-cart.repository';

const CART: Cart = { items: [{ sku: 'tea', quantity: 1 }], updatedAt: 1 };

/** A repository that answers `setItem` with `setItemAnswer`, recording nothing. */
function carts(setItemAnswer: Cart | 'full' = CART): CartRepository {
  return {
    get: async () => CART,
    setItem: async () => setItemAnswer,
    removeItem: async () => CART,
    clear: async () => undefined,
  };
}

async function announcedBy(
  act: (repository: PublishingCartRepository) => Promise<unknown>,
  repository: CartRepository = carts(),
): Promise<string[]> {
  const feed = new MemoryCartChangeFeed();
  const announced: string[] = [];
  const ignore = (): undefined => undefined;
  await feed.follow({ changed: (id) => announced.push(id), lost: ignore, resumed: ignore });
  await act(new PublishingCartRepository(repository, feed));
  return announced;
}

describe(PublishingCartRepository.name, () => {
  it.each<[string, (repository: PublishingCartRepository) => Promise<unknown>]>([
    ['setItem', (r) => r.setItem('user-1', { sku: 'tea', quantity: 1 }, 1)],
    ['removeItem', (r) => r.removeItem('user-1', 'tea', 1)],
    ['clear', (r) => r.clear('user-1', 1)],
  ])('announces the user id after %s', async (_write, act) => {
    await expect(announcedBy(act)).resolves.toEqual(['user-1']);
  });

  it('announces nothing on a read', async () => {
    await expect(announcedBy((r) => r.get('user-1'))).resolves.toEqual([]);
  });

  it('announces nothing when the cart was full and nothing changed', async () => {
    const announced = await announcedBy(
      (r) => r.setItem('user-1', { sku: 'more', quantity: 1 }, 1),
      carts('full'),
    );

    expect(announced).toEqual([]);
  });

  it('keeps the write when the announcement fails', async () => {
    const failing: CartChangeFeed = {
      publish: () => Promise.reject(new Error('Redis is down')),
      follow: () => Promise.reject(new Error('unused')),
    };
    const repository = new PublishingCartRepository(carts(), failing);

    await expect(repository.setItem('user-1', { sku: 'tea', quantity: 1 }, 1)).resolves.toEqual(
      CART,
    );
  });
});
