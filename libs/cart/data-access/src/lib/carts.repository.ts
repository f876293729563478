import type { Migration, SqlClient } from '@svt/shared/data-access-sql';

export interface CartItem {
  readonly sku: string;
  readonly quantity: number;
}

export interface Cart {
  readonly items: readonly CartItem[];
  /** Epoch milliseconds of the last change; `null` for a cart never touched. */
  readonly updatedAt: number | null;
}

/** The port to stored carts, one per user. */
export interface CartRepository {
  get(userId: string): Promise<Cart>;
  /**
   * Sets an item's quantity (adding the item when absent). `full`, with
   * nothing changed, when adding it would take the cart past its most
   * different items; an item already in the cart can always be changed.
   */
  setItem(userId: string, item: CartItem, now: number): Promise<Cart | 'full'>;
  removeItem(userId: string, sku: string, now: number): Promise<Cart>;
  clear(userId: string, now: number): Promise<void>;
}

export const CART_REPOSITORY = Symbol.for('svt.CartRepository');

/** The cart service's own database. */
export const cartMigrations: readonly Migration[] = [
  {
    id: '001-carts',
    up: `
      CREATE TABLE carts (
        user_id TEXT PRIMARY KEY,
        updated_at BIGINT NOT NULL
      );
      CREATE TABLE cart_items (
        user_id TEXT NOT NULL REFERENCES carts(user_id) ON DELETE CASCADE,
        sku TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        PRIMARY KEY (user_id, sku)
      )`,
  },
];

export interface CartLimits {
  /** The most different items (skus) one cart may hold. */
  readonly maxItems: number;
}

/** Thrown inside the transaction to roll it back; `setItem` answers `full`. */
class CartFull extends Error {}

/** Carts in SQL, on whichever SqlClient adapter the app opened. */
export class SqlCartRepository implements CartRepository {
  constructor(
    private readonly sql: SqlClient,
    private readonly limits: CartLimits,
  ) {}

  async get(userId: string): Promise<Cart> {
    const [cart] = await this.sql.query<{ updated_at: number }>(
      'SELECT updated_at FROM carts WHERE user_id = ?',
      [userId],
    );
    const items = await this.sql.query<CartItem>(
      'SELECT sku, quantity FROM cart_items WHERE user_id = ? ORDER BY sku',
      [userId],
    );
    return {
      items: items.map(({ sku, quantity }) => ({ sku, quantity })),
      updatedAt: cart?.updated_at ?? null,
    };
  }

  async setItem(userId: string, item: CartItem, now: number): Promise<Cart | 'full'> {
    try {
      await this.sql.transaction(async (tx) => {
        // Writing the cart's row first locks it until the commit (on SQLite
        // the transaction holds the file already): concurrent writes to one
        // cart take turns from here, so no two can both take its last place.
        // (The CAST: PostgreSQL types a bare parameter in a SELECT list as text.)
        await this.touch(tx, userId, now);
        const changed = await tx.execute(
          `INSERT INTO cart_items (user_id, sku, quantity)
           SELECT ?, ?, CAST(? AS INTEGER)
           WHERE EXISTS (SELECT 1 FROM cart_items WHERE user_id = ? AND sku = ?)
              OR (SELECT COUNT(*) FROM cart_items WHERE user_id = ?) < ?
           ON CONFLICT (user_id, sku) DO UPDATE SET quantity = excluded.quantity`,
          [userId, item.sku, item.quantity, userId, item.sku, userId, this.limits.maxItems],
        );
        if (changed === 0) throw new CartFull();
      });
    } catch (error) {
      if (error instanceof CartFull) return 'full';
      throw error;
    }
    return this.get(userId);
  }

  async removeItem(userId: string, sku: string, now: number): Promise<Cart> {
    await this.sql.transaction(async (tx) => {
      await this.touch(tx, userId, now);
      await tx.execute('DELETE FROM cart_items WHERE user_id = ? AND sku = ?', [userId, sku]);
    });
    return this.get(userId);
  }

  async clear(userId: string, now: number): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await this.touch(tx, userId, now);
      await tx.execute('DELETE FROM cart_items WHERE user_id = ?', [userId]);
    });
  }

  private async touch(tx: Pick<SqlClient, 'execute'>, userId: string, now: number): Promise<void> {
    await tx.execute(
      `INSERT INTO carts (user_id, updated_at) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at`,
      [userId, now],
    );
  }
}
