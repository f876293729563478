import { randomBytes } from 'node:crypto';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisOidcStateStore } from './redis-oidc-state-store';
import { ManualClock, redisUrlForTests } from './testing/contract-harness';

const redisUrl = redisUrlForTests(`${RedisOidcStateStore.name} key layout`);

const HOUR = 3_600_000;

describe(RedisOidcStateStore.name, () => {
  it.each([
    ['an empty model', '', 'id-1', 60],
    ['an empty id', 'Session', '', 60],
    ['an expiry that is not a number of seconds', 'Session', 'id-1', Number.NaN],
  ])('refuses %s before sending anything', async (_case, model, id, expiresIn) => {
    // Never connected: a command sent would wait in the offline queue forever.
    const store = new RedisOidcStateStore(createClient(), 'svt:');

    await expect(store.upsert(model, id, {}, expiresIn)).rejects.toThrow(TypeError);
  });

  if (!redisUrl) return;

  describe('key layout on a live server', () => {
    const prefix = `svt-test:${randomBytes(8).toString('hex')}:`;
    let client: RedisClientType;
    let clock: ManualClock;
    let store: RedisOidcStateStore;

    beforeEach(async () => {
      client = createClient({ url: redisUrl });
      await client.connect();
      clock = new ManualClock();
      store = new RedisOidcStateStore(client, prefix, { now: clock.now });
    });

    afterEach(async () => {
      await store.close();
      for await (const keys of client.scanIterator({ MATCH: `${prefix}*` })) {
        await Promise.all(keys.map((key) => client.del(key)));
      }
      await client.close();
    });

    it('keeps an entry as a hash under the prefixed key, expiring with it', async () => {
      const payload = { grantId: 'grant-1', scope: 'openid' };

      await store.upsert('AccessToken', 'at-1', payload, 3600);

      const key = `${prefix}oidc:AccessToken:at-1`;
      await expect(client.hGet(key, 'payload')).resolves.toBe(JSON.stringify(payload));
      await expect(client.pExpireTime(key)).resolves.toBe(clock.now() + HOUR);
    });

    it('lets an entry without expiry, and its indexes, live without a TTL', async () => {
      await store.upsert('RefreshToken', 'rt-1', { grantId: 'grant-1' });

      await expect(client.pTTL(`${prefix}oidc:RefreshToken:rt-1`)).resolves.toBe(-1);
      await expect(client.pTTL(`${prefix}oidc-grant:grant-1`)).resolves.toBe(-1);
    });

    it("keeps a grant's index alive until its longest-lived member expires", async () => {
      await store.upsert('AccessToken', 'at-1', { grantId: 'grant-1' }, 2 * 3600);
      await store.upsert('AuthorizationCode', 'code-1', { grantId: 'grant-1' }, 60);

      await expect(client.pExpireTime(`${prefix}oidc-grant:grant-1`)).resolves.toBe(
        clock.now() + 2 * HOUR,
      );
    });

    it("persists a grant's index once a member never expires", async () => {
      await store.upsert('AccessToken', 'at-1', { grantId: 'grant-1' }, 3600);

      await store.upsert('RefreshToken', 'rt-1', { grantId: 'grant-1' });

      await expect(client.pTTL(`${prefix}oidc-grant:grant-1`)).resolves.toBe(-1);
    });

    it("points a session's uid at its id, and indexes it by account, expiring with it", async () => {
      await store.upsert('Session', 'sess-1', { uid: 'uid-1', accountId: 'alice' }, 3600);

      const pointer = `${prefix}oidc-uid:Session:uid-1`;
      await expect(client.get(pointer)).resolves.toBe('sess-1');
      await expect(client.pExpireTime(pointer)).resolves.toBe(clock.now() + HOUR);
      await expect(client.zRange(`${prefix}oidc-account:alice`, 0, -1)).resolves.toEqual([
        'sess-1',
      ]);
    });

    it('removes the index entries of a destroyed entry', async () => {
      await store.upsert('Session', 'sess-1', { uid: 'uid-1', accountId: 'alice' }, 3600);

      await store.destroy('Session', 'sess-1');

      await expect(client.exists(`${prefix}oidc-uid:Session:uid-1`)).resolves.toBe(0);
      await expect(client.exists(`${prefix}oidc-account:alice`)).resolves.toBe(0);
    });

    it('leaves a client it did not open open on close', async () => {
      await store.close();

      await expect(client.ping()).resolves.toBe('PONG');
    });
  });
});
