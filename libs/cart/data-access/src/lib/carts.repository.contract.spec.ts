import type { SqlClient } from '@svt/shared/data-access-sql';
import { sqlBackends } from '@svt/shared/data-access-sql/testing';
import { cartMigrations, SqlCartRepository } from './carts.repository';

const NOW = 1_800_000_000_000;
/** A small cap, so that the tests fill a cart in a few writes. */
const MAX_ITEMS = 3;

describe.each(sqlBackends().map((backend) => [backend.name, backend] as const))(
  `${SqlCartRepository.name} on %s`,
  (_name, backend) => {
    let sql: SqlClient;
    let carts: SqlCartRepository;

    beforeEach(async () => {
      sql = await backend.open();
      await sql.migrate(cartMigrations);
      carts = new SqlCartRepository(sql, { maxItems: MAX_ITEMS });
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

    describe('when the cart holds maxItems different items', () => {
      const full = [
        { sku: 'a', quantity: 1 },
        { sku: 'b', quantity: 1 },
        { sku: 'c', quantity: 1 },
      ];

      beforeEach(async () => {
        for (const item of full) await carts.setItem('u1', item, NOW);
      });

      it('refuses another sku with "full", and changes nothing, not even updatedAt', async () => {
        await expect(carts.setItem('u1', { sku: 'd', quantity: 1 }, NOW + 1)).resolves.toBe('full');
        await expect(carts.get('u1')).resolves.toEqual({ items: full, updatedAt: NOW });
      });

      it('still sets the quantity of an sku it holds', async () => {
        await expect(carts.setItem('u1', { sku: 'b', quantity: 7 }, NOW + 1)).resolves.toEqual({
          items: [full[0], { sku: 'b', quantity: 7 }, full[2]],
          updatedAt: NOW + 1,
        });
      });

      it('takes a new sku again once one was removed', async () => {
        await carts.removeItem('u1', 'a', NOW + 1);
        await expect(
          carts.setItem('u1', { sku: 'd', quantity: 1 }, NOW + 2),
        ).resolves.toMatchObject({ items: [{ sku: 'b' }, { sku: 'c' }, { sku: 'd' }] });
      });

      it('counts each user’s cart on its own', async () => {
        await expect(carts.setItem('u2', { sku: 'd', quantity: 1 }, NOW)).resolves.toMatchObject({
          items: [{ sku: 'd', quantity: 1 }],
        });
      });
    });

    it('holds the cap under concurrent writes of different skus from two processes', async () => {
      const [first, second] = await backend.openPair();
      try {
        await first.migrate(cartMigrations);
        const replicas = [first, second].map(
          (client) => new SqlCartRepository(client, { maxItems: MAX_ITEMS }),
        );
        await replicas[0].setItem('u1', { sku: 'a', quantity: 1 }, NOW);
        // Connections opened beforehand, so that the writes below do overlap.
        await Promise.all(
          Array.from({ length: 16 }, (_, i) => replicas[i % 2].get(`warm-up-${i}`)),
        );

        const skus = Array.from({ length: 16 }, (_, i) => `sku-${i}`);
        const outcomes = await Promise.all(
          skus.map((sku, i) => replicas[i % 2].setItem('u1', { sku, quantity: 1 }, NOW + 1)),
        );

        expect(outcomes.filter((outcome) => outcome !== 'full').length).toBe(MAX_ITEMS - 1);
        expect((await replicas[1].get('u1')).items).toHaveLength(MAX_ITEMS);
      } finally {
        await Promise.all([first.close(), second.close()]);
      }
    });
  },
);
