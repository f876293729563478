import type { SqlClient } from '@svt/shared/data-access-sql';
import { sqlBackends } from '@svt/shared/data-access-sql/testing';
import { cartMigrations, SqlCartRepository } from './carts.repository';

const NOW = 1_800_000_000_000;

describe.each(sqlBackends().map((backend) => [backend.name, backend] as const))(
  `${SqlCartRepository.name} on %s`,
  (_name, backend) => {
    let sql: SqlClient;
    let carts: SqlCartRepository;

    beforeEach(async () => {
      sql = await backend.open();
      await sql.migrate(cartMigrations);
      carts = new SqlCartRepository(sql);
    });
    afterEach(() => sql.close());

    it('gives an untouched cart with no items and no updatedAt', async () => {
      await expect(carts.get('u1')).resolves.toEqual({ items: [], updatedAt: null });
    });

    it('adds items, sets quantities, and orders items by sku', async () => {
      await carts.setItem('u1', { sku: 'b', quantity: 1 }, NOW);
      await carts.setItem('u1', { sku: 'a', quantity: 2 }, NOW + 1);
      await expect(carts.setItem('u1', { sku: 'b', quantity: 5 }, NOW + 2)).resolves.toEqual({
        items: [
          { sku: 'a', quantity: 2 },
          { sku: 'b', quantity: 5 },
        ],
        updatedAt: NOW + 2,
      });
    });

    it('keeps each user’s cart apart', async () => {
      await carts.setItem('u1', { sku: 'a', quantity: 1 }, NOW);
      await expect(carts.get('u2')).resolves.toEqual({ items: [], updatedAt: null });
    });

    it('removes one item, and removing an absent one changes nothing but the time', async () => {
      await carts.setItem('u1', { sku: 'a', quantity: 1 }, NOW);
      await carts.setItem('u1', { sku: 'b', quantity: 1 }, NOW);
      await expect(carts.removeItem('u1', 'a', NOW + 1)).resolves.toEqual({
        items: [{ sku: 'b', quantity: 1 }],
        updatedAt: NOW + 1,
      });
      await expect(carts.removeItem('u1', 'zzz', NOW + 2)).resolves.toMatchObject({
        items: [{ sku: 'b' }],
      });
    });

    it('clears the cart', async () => {
      await carts.setItem('u1', { sku: 'a', quantity: 1 }, NOW);
      await carts.clear('u1', NOW + 1);
      await expect(carts.get('u1')).resolves.toEqual({ items: [], updatedAt: NOW + 1 });
    });
  },
);
