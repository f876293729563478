import { MemoryOidcStateStore } from './memory-oidc-state-store';
import type { OidcPayload, OidcStateStore } from './oidc-state-store';
import { RedisOidcStateStore } from './redis-oidc-state-store';
import { SqliteOidcStateStore } from './sqlite-oidc-state-store';
import { contractBackends, onOwnClient, selfClosing } from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function oidcStateBackends(): Backend<OidcStateStore>[] {
  return contractBackends<OidcStateStore>({
    port: 'OidcStateStore',
    memory: {
      name: MemoryOidcStateStore.name,
      open: (now) => selfClosing(new MemoryOidcStateStore({ now })),
    },
    sqlite: {
      name: SqliteOidcStateStore.name,
      open: async (file, now) => selfClosing(await SqliteOidcStateStore.open(file, { now })),
    },
    redis: {
      name: RedisOidcStateStore.name,
      open: (redis, prefix, now) =>
        onOwnClient(redis, (client) => new RedisOidcStateStore(client, prefix, { now })),
    },
  });
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** An authorization code as oidc-provider stores one (abridged). */
function aCode(overrides: Partial<OidcPayload> = {}): OidcPayload {
  return {
    iat: 1_700_000_000,
    exp: 1_700_000_060,
    accountId: 'alice',
    clientId: 'shop',
    grantId: 'grant-1',
    redirectUri: 'https://shop.example/cb',
    scope: 'openid email',
    claims: { id_token: { email: null } },
    resource: [],
    kind: 'AuthorizationCode',
    ...overrides,
  };
}

/** An OpenID Provider session as oidc-provider stores one (abridged). */
function aSession(overrides: Partial<OidcPayload> = {}): OidcPayload {
  return {
    uid: 'session-uid-1',
    accountId: 'alice',
    loginTs: 1_700_000_000,
    authorizations: { shop: { sid: 'sid-1', grantId: 'grant-1' } },
    kind: 'Session',
    ...overrides,
  };
}

describe('OidcStateStore contract', () => {
  describe.each(oidcStateBackends())('$name', (backend) => {
    let storage: Storage<OidcStateStore>;
    let store: OidcStateStore;

    beforeEach(async () => {
      storage = await backend.create();
      store = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    /** The epoch seconds oidc-provider would record as `consumed` now. */
    function nowInSeconds(): number {
      return Math.floor(storage.clock.now() / 1000);
    }

    describe('upsert and find', () => {
      it('finds an upserted payload with every field intact', async () => {
        const code = aCode();

        await store.upsert('AuthorizationCode', 'code-1', code, 60);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual(code);
      });

      it('answers a copy, so editing it does not edit the stored payload', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);
        const found = (await store.find('AuthorizationCode', 'code-1')) as Record<string, unknown>;

        found['scope'] = 'openid admin';

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual(aCode());
      });

      it('resolves to undefined for an unknown id, and for the id under another model', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);

        await expect(store.find('AuthorizationCode', 'code-2')).resolves.toBeUndefined();
        await expect(store.find('AccessToken', 'code-1')).resolves.toBeUndefined();
      });

      it('replaces the payload and its expiry on a second upsert of the same id', async () => {
        await store.upsert('Session', 'sess-1', aSession({ loginTs: 1 }), 60);

        await store.upsert('Session', 'sess-1', aSession({ loginTs: 2 }));
        await storage.advance(2 * MINUTE);

        await expect(store.find('Session', 'sess-1')).resolves.toEqual(aSession({ loginTs: 2 }));
      });

      it('keeps an entry upserted without expiresInSeconds however long', async () => {
        await store.upsert('Grant', 'grant-1', { accountId: 'alice', clientId: 'shop' });

        await storage.advance(365 * 24 * 60 * MINUTE);

        await expect(store.find('Grant', 'grant-1')).resolves.toEqual({
          accountId: 'alice',
          clientId: 'shop',
        });
      });

      it('expires an entry expiresInSeconds after the upsert', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);
        await storage.advance(60 * SECOND - 1);
        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual(aCode());

        await storage.advance(1);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toBeUndefined();
      });

      it('treats an entry upserted with 0 seconds to live as already gone, and the one it replaced too', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);

        await store.upsert('AuthorizationCode', 'code-1', aCode(), 0);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toBeUndefined();
      });

      it.each([
        ['an empty model', '', 'id-1', 60],
        ['an empty id', 'AccessToken', '', 60],
        ['NaN seconds', 'AccessToken', 'id-1', Number.NaN],
        ['infinite seconds', 'AccessToken', 'id-1', Number.POSITIVE_INFINITY],
      ])('rejects with a TypeError for %s', async (_, model, id, expiresIn) => {
        await expect(store.upsert(model, id, aCode(), expiresIn)).rejects.toThrow(TypeError);
      });
    });

    describe('findByUid and findByUserCode', () => {
      it('finds an entry by its uid, within its model only', async () => {
        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-1' }), 600);

        await expect(store.findByUid('Session', 'uid-1')).resolves.toEqual(
          aSession({ uid: 'uid-1' }),
        );
        await expect(store.findByUid('Interaction', 'uid-1')).resolves.toBeUndefined();
        await expect(store.findByUid('Session', 'uid-2')).resolves.toBeUndefined();
      });

      it('finds an entry by its user code, within its model only', async () => {
        const deviceCode = { userCode: 'WDJB-MJHT', clientId: 'tv', grantId: 'grant-9' };
        await store.upsert('DeviceCode', 'device-1', deviceCode, 600);

        await expect(store.findByUserCode('DeviceCode', 'WDJB-MJHT')).resolves.toEqual(deviceCode);
        await expect(store.findByUserCode('Session', 'WDJB-MJHT')).resolves.toBeUndefined();
        await expect(store.findByUserCode('DeviceCode', 'XXXX-XXXX')).resolves.toBeUndefined();
      });

      it('finds nothing by uid or user code once the entry is destroyed', async () => {
        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-1' }), 600);
        await store.upsert('DeviceCode', 'device-1', { userCode: 'WDJB-MJHT' }, 600);

        await store.destroy('Session', 'sess-1');
        await store.destroy('DeviceCode', 'device-1');

        await expect(store.findByUid('Session', 'uid-1')).resolves.toBeUndefined();
        await expect(store.findByUserCode('DeviceCode', 'WDJB-MJHT')).resolves.toBeUndefined();
      });

      it('finds nothing by uid or user code once the entry expired', async () => {
        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-1' }), 60);
        await store.upsert('DeviceCode', 'device-1', { userCode: 'WDJB-MJHT' }, 60);

        await storage.advance(MINUTE);

        await expect(store.findByUid('Session', 'uid-1')).resolves.toBeUndefined();
        await expect(store.findByUserCode('DeviceCode', 'WDJB-MJHT')).resolves.toBeUndefined();
      });

      it('follows a replacement: the new uid finds the entry, the old one nothing', async () => {
        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-old' }), 600);

        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-new' }), 600);

        await expect(store.findByUid('Session', 'uid-new')).resolves.toEqual(
          aSession({ uid: 'uid-new' }),
        );
        await expect(store.findByUid('Session', 'uid-old')).resolves.toBeUndefined();
      });
    });

    describe('consume', () => {
      it('resolves true and records the time in seconds as payload.consumed', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);
        await storage.advance(5 * SECOND);

        await expect(store.consume('AuthorizationCode', 'code-1')).resolves.toBe(true);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual({
          ...aCode(),
          consumed: nowInSeconds(),
        });
      });

      it('resolves false the second time, keeping the first time consumed', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);
        await store.consume('AuthorizationCode', 'code-1');
        const firstTime = nowInSeconds();
        await storage.advance(10 * SECOND);

        await expect(store.consume('AuthorizationCode', 'code-1')).resolves.toBe(false);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual({
          ...aCode(),
          consumed: firstTime,
        });
      });

      it('resolves false for a payload upserted as consumed already', async () => {
        await store.upsert('RefreshToken', 'rt-1', { grantId: 'grant-1', consumed: 1_700_000_000 });

        await expect(store.consume('RefreshToken', 'rt-1')).resolves.toBe(false);
        await expect(store.find('RefreshToken', 'rt-1')).resolves.toEqual({
          grantId: 'grant-1',
          consumed: 1_700_000_000,
        });
      });

      it('resolves false for an unknown or expired entry, and creates nothing', async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);
        await storage.advance(MINUTE);

        await expect(store.consume('AuthorizationCode', 'code-1')).resolves.toBe(false);
        await expect(store.consume('AuthorizationCode', 'code-2')).resolves.toBe(false);

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toBeUndefined();
        await expect(store.find('AuthorizationCode', 'code-2')).resolves.toBeUndefined();
      });

      it('lets exactly one of concurrent consumes win', async () => {
        const other = backend.shared ? await storage.open() : store;
        await store.upsert('AuthorizationCode', 'code-1', aCode(), 60);

        const results = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            (i % 2 === 0 ? store : other).consume('AuthorizationCode', 'code-1'),
          ),
        );

        expect(results.filter(Boolean)).toHaveLength(1);
        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toEqual({
          ...aCode(),
          consumed: nowInSeconds(),
        });
      });
    });

    describe('destroy', () => {
      it('forgets the entry, and only it', async () => {
        await store.upsert('AccessToken', 'at-1', { grantId: 'grant-1' }, 60);
        await store.upsert('AccessToken', 'at-2', { grantId: 'grant-1' }, 60);

        await store.destroy('AccessToken', 'at-1');

        await expect(store.find('AccessToken', 'at-1')).resolves.toBeUndefined();
        await expect(store.find('AccessToken', 'at-2')).resolves.toEqual({ grantId: 'grant-1' });
      });

      it('treats destroying an unknown entry as done', async () => {
        await expect(store.destroy('AccessToken', 'at-unknown')).resolves.toBeUndefined();
      });
    });

    describe('revokeByGrantId', () => {
      it("destroys the grant's entries of every model and leaves other grants alone", async () => {
        await store.upsert('AuthorizationCode', 'code-1', aCode({ grantId: 'grant-1' }), 60);
        await store.upsert('AccessToken', 'at-1', { grantId: 'grant-1' }, 3600);
        await store.upsert('RefreshToken', 'rt-1', { grantId: 'grant-1' });
        await store.upsert('AccessToken', 'at-2', { grantId: 'grant-2' }, 3600);
        await store.upsert('Grant', 'grant-1', { accountId: 'alice', clientId: 'shop' });

        await store.revokeByGrantId('grant-1');

        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toBeUndefined();
        await expect(store.find('AccessToken', 'at-1')).resolves.toBeUndefined();
        await expect(store.find('RefreshToken', 'rt-1')).resolves.toBeUndefined();
        await expect(store.find('AccessToken', 'at-2')).resolves.toEqual({ grantId: 'grant-2' });
        await expect(store.find('Grant', 'grant-1')).resolves.toEqual({
          accountId: 'alice',
          clientId: 'shop',
        });
      });

      it('spares an entry replaced since with another grant', async () => {
        await store.upsert('AccessToken', 'at-1', { grantId: 'grant-1' }, 3600);
        await store.upsert('AccessToken', 'at-1', { grantId: 'grant-2' }, 3600);

        await store.revokeByGrantId('grant-1');

        await expect(store.find('AccessToken', 'at-1')).resolves.toEqual({ grantId: 'grant-2' });
      });

      it('leaves nothing findable by uid or user code', async () => {
        await store.upsert(
          'DeviceCode',
          'device-1',
          { grantId: 'grant-1', userCode: 'WDJB-MJHT' },
          600,
        );
        await store.upsert('Interaction', 'int-1', { grantId: 'grant-1', uid: 'int-uid' }, 600);

        await store.revokeByGrantId('grant-1');

        await expect(store.findByUserCode('DeviceCode', 'WDJB-MJHT')).resolves.toBeUndefined();
        await expect(store.findByUid('Interaction', 'int-uid')).resolves.toBeUndefined();
      });

      it('treats revoking an unknown grant as done', async () => {
        await expect(store.revokeByGrantId('grant-unknown')).resolves.toBeUndefined();
      });
    });

    describe('sessionIdsByAccount', () => {
      it("lists the ids of the account's live sessions, sorted", async () => {
        await store.upsert('Session', 'sess-b', aSession({ uid: 'u-b' }), 600);
        await store.upsert('Session', 'sess-a', aSession({ uid: 'u-a' }));
        await store.upsert('Session', 'sess-bob', aSession({ uid: 'u-c', accountId: 'bob' }), 600);

        await expect(store.sessionIdsByAccount('alice')).resolves.toEqual(['sess-a', 'sess-b']);
        await expect(store.sessionIdsByAccount('bob')).resolves.toEqual(['sess-bob']);
        await expect(store.sessionIdsByAccount('nobody')).resolves.toEqual([]);
      });

      it('counts sessions only, not other models that name the account', async () => {
        await store.upsert('AccessToken', 'at-1', { accountId: 'alice', grantId: 'g' }, 600);
        await store.upsert('Grant', 'grant-1', { accountId: 'alice' });

        await expect(store.sessionIdsByAccount('alice')).resolves.toEqual([]);
      });

      it('leaves out sessions destroyed, expired or since given to another account', async () => {
        await store.upsert('Session', 'sess-destroyed', aSession({ uid: 'u-1' }), 600);
        await store.upsert('Session', 'sess-expiring', aSession({ uid: 'u-2' }), 60);
        await store.upsert('Session', 'sess-moved', aSession({ uid: 'u-3' }), 600);
        await store.upsert('Session', 'sess-kept', aSession({ uid: 'u-4' }), 600);

        await store.destroy('Session', 'sess-destroyed');
        await store.upsert(
          'Session',
          'sess-moved',
          aSession({ uid: 'u-3', accountId: 'bob' }),
          600,
        );
        await storage.advance(MINUTE);

        await expect(store.sessionIdsByAccount('alice')).resolves.toEqual(['sess-kept']);
        await expect(store.sessionIdsByAccount('bob')).resolves.toEqual(['sess-moved']);
      });
    });

    if (backend.shared) {
      it('shares entries, consumption, destruction and revocation between two instances', async () => {
        const other = await storage.open();

        await store.upsert('Session', 'sess-1', aSession({ uid: 'uid-1' }), 600);
        await store.upsert('AuthorizationCode', 'code-1', aCode({ grantId: 'grant-1' }), 60);
        await expect(other.find('Session', 'sess-1')).resolves.toEqual(aSession({ uid: 'uid-1' }));
        await expect(other.findByUid('Session', 'uid-1')).resolves.toEqual(
          aSession({ uid: 'uid-1' }),
        );
        await expect(other.sessionIdsByAccount('alice')).resolves.toEqual(['sess-1']);

        await expect(other.consume('AuthorizationCode', 'code-1')).resolves.toBe(true);
        await expect(store.consume('AuthorizationCode', 'code-1')).resolves.toBe(false);

        await other.revokeByGrantId('grant-1');
        await other.destroy('Session', 'sess-1');
        await expect(store.find('AuthorizationCode', 'code-1')).resolves.toBeUndefined();
        await expect(store.find('Session', 'sess-1')).resolves.toBeUndefined();
        await expect(store.sessionIdsByAccount('alice')).resolves.toEqual([]);
      });
    } else {
      it('keeps entries per instance, so a second instance does not see them', async () => {
        const other = await storage.open();

        await store.upsert('Session', 'sess-1', aSession(), 600);

        await expect(other.find('Session', 'sess-1')).resolves.toBeUndefined();
      });
    }

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('closes, rejects use afterwards, and may be closed again', async () => {
      await expect(store.close()).resolves.toBeUndefined();

      await expect(store.find('Session', 'sess-1')).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
});
