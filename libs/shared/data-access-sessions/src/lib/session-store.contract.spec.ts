import { randomBytes } from 'node:crypto';
import { MemorySessionStore } from './memory-session-store';
import { RedisSessionStore } from './redis-session-store';
import type { DeviceBinding } from './device-binding';
import type { SessionRecord, SessionStore } from './session-store';
import { SqliteSessionStore } from './sqlite-session-store';
import { contractBackends, selfClosing } from './testing/contract-harness';
import type { Backend, Storage } from './testing/contract-harness';

function sessionBackends(): Backend<SessionStore>[] {
  return contractBackends<SessionStore>({
    port: 'SessionStore',
    memory: {
      name: MemorySessionStore.name,
      open: (now) => selfClosing(new MemorySessionStore({ now })),
    },
    sqlite: {
      name: SqliteSessionStore.name,
      open: async (file, now) => selfClosing(await SqliteSessionStore.open(file, { now })),
    },
    redis: {
      name: RedisSessionStore.name,
      open: async (redis, prefix, now) =>
        selfClosing(
          redis.kind === 'server'
            ? await RedisSessionStore.connect(redis.url, prefix, { now })
            : await RedisSessionStore.connect(redis.cluster.seedUrl, prefix, {
                now,
                cluster: true,
              }),
        ),
    },
  });
}

const MINUTE = 60_000;

let sequence = 0;

describe('SessionStore contract', () => {
  describe.each(sessionBackends())('$name', (backend) => {
    let storage: Storage<SessionStore>;
    let store: SessionStore;

    /** A live session as of the test's clock: 30 minutes idle timeout, 1 hour absolute. */
    function aSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
      sequence++;
      const now = storage.clock.now();
      return {
        idHash: randomBytes(32).toString('hex'),
        handle: `handle-${sequence}-${randomBytes(4).toString('hex')}`,
        userId: 'user-1',
        csrfToken: randomBytes(16).toString('base64url'),
        createdAt: now - 1000 + sequence,
        expiresAt: now + 60 * MINUTE,
        lastSeenAt: now,
        idleTimeoutMs: 30 * MINUTE,
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64)',
        ip: '203.0.113.7',
        credentialVersion: 2,
        ssoSid: null,
        amr: ['pwd'],
        authTime: now - 1000 + sequence,
        ...overrides,
      };
    }

    beforeEach(async () => {
      storage = await backend.create();
      store = await storage.open();
    });

    afterEach(async () => {
      await storage.dispose();
    });

    it('finds a created record with every field intact', async () => {
      const full = aSession();
      const sparse = aSession({ userAgent: null, ip: null });
      await store.create(full);
      await store.create(sparse);

      await expect(store.find(full.idHash)).resolves.toEqual(full);
      await expect(store.find(sparse.idHash)).resolves.toEqual(sparse);
    });

    it('keeps the authentication methods and time of a login', async () => {
      const twoFactor = aSession({ amr: ['pwd', 'otp'], authTime: storage.clock.now() - 10 });
      await store.create(twoFactor);
      await expect(store.find(twoFactor.idHash)).resolves.toMatchObject({
        amr: ['pwd', 'otp'],
        authTime: twoFactor.authTime,
      });
    });

    it('keeps the OpenID Provider sid of a single sign-on session, and null for a password login', async () => {
      const singleSignOn = aSession({ ssoSid: 'op-sid-1' });
      const passwordLogin = aSession({ ssoSid: null });
      await store.create(singleSignOn);
      await store.create(passwordLogin);

      await expect(store.find(singleSignOn.idHash)).resolves.toHaveProperty('ssoSid', 'op-sid-1');
      await expect(store.find(passwordLogin.idHash)).resolves.toHaveProperty('ssoSid', null);
      await expect(store.listByUser(singleSignOn.userId)).resolves.toEqual([
        singleSignOn,
        passwordLogin,
      ]);
    });

    it('resolves to null for an unknown id hash', async () => {
      await expect(store.find('0'.repeat(64))).resolves.toBeNull();
    });

    it('resolves to null once the record has expired', async () => {
      const shortLived = aSession({ expiresAt: storage.clock.now() + 2 * MINUTE });
      await store.create(shortLived);
      await storage.advance(2 * MINUTE - 1);
      await expect(store.find(shortLived.idHash)).resolves.toEqual(shortLived);

      await storage.advance(1);

      await expect(store.find(shortLived.idHash)).resolves.toBeNull();
    });

    it('resolves to null for a record created already expired', async () => {
      const expired = aSession({ expiresAt: storage.clock.now() - 1000 });
      await store.create(expired);

      await expect(store.find(expired.idHash)).resolves.toBeNull();
    });

    it('forgets a deleted record', async () => {
      const record = aSession();
      await store.create(record);

      await store.delete(record.idHash);

      await expect(store.find(record.idHash)).resolves.toBeNull();
      await expect(store.listByUser(record.userId)).resolves.toEqual([]);
    });

    it('treats deleting an unknown record as done', async () => {
      await expect(store.delete('f'.repeat(64))).resolves.toBeUndefined();
    });

    it("lists only the user's live records, oldest first", async () => {
      const newer = aSession({ userId: 'alice' });
      const older = aSession({ userId: 'alice', createdAt: newer.createdAt - 5000 });
      const expired = aSession({ userId: 'alice', expiresAt: storage.clock.now() - 1 });
      const someoneElse = aSession({ userId: 'bob' });
      for (const record of [newer, older, expired, someoneElse]) {
        await store.create(record);
      }

      await expect(store.listByUser('alice')).resolves.toEqual([older, newer]);
      await expect(store.listByUser('nobody')).resolves.toEqual([]);
    });

    it('leaves a record that expired after creation out of the listing', async () => {
      const shortLived = aSession({ userId: 'alice', expiresAt: storage.clock.now() + MINUTE });
      const lasting = aSession({ userId: 'alice' });
      await store.create(shortLived);
      await store.create(lasting);

      await storage.advance(2 * MINUTE);

      await expect(store.listByUser('alice')).resolves.toEqual([lasting]);
    });

    it("deletes all the user's records, resolves to how many, and leaves other users' records", async () => {
      const first = aSession({ userId: 'alice' });
      const second = aSession({ userId: 'alice' });
      const expired = aSession({ userId: 'alice', expiresAt: storage.clock.now() - 1 });
      const bobs = aSession({ userId: 'bob' });
      for (const record of [first, second, expired, bobs]) {
        await store.create(record);
      }

      await expect(store.deleteByUser('alice')).resolves.toBe(2);

      await expect(store.find(first.idHash)).resolves.toBeNull();
      await expect(store.find(second.idHash)).resolves.toBeNull();
      await expect(store.listByUser('alice')).resolves.toEqual([]);
      await expect(store.find(bobs.idHash)).resolves.toEqual(bobs);
      await expect(store.listByUser('bob')).resolves.toEqual([bobs]);
    });

    it('resolves deleteByUser to 0 for a user without records', async () => {
      await expect(store.deleteByUser('nobody')).resolves.toBe(0);
    });

    describe('idle timeout', () => {
      it('ends a session once idleTimeoutMs passes without a touch', async () => {
        const record = aSession({ idleTimeoutMs: 10 * MINUTE });
        await store.create(record);
        await storage.advance(10 * MINUTE - 1);
        await expect(store.find(record.idHash)).resolves.toEqual(record);

        await storage.advance(1);

        await expect(store.find(record.idHash)).resolves.toBeNull();
      });

      it('resolves to null for a record created already idle for too long', async () => {
        const idle = aSession({ lastSeenAt: storage.clock.now() - 31 * MINUTE });
        await store.create(idle);

        await expect(store.find(idle.idHash)).resolves.toBeNull();
      });

      it('keeps a touched session alive past its first idle deadline, until it idles again', async () => {
        const record = aSession({ idleTimeoutMs: 10 * MINUTE });
        await store.create(record);
        await storage.advance(8 * MINUTE);
        const touchedAt = storage.clock.now();

        await store.touch(record.idHash, touchedAt);

        await storage.advance(8 * MINUTE);
        await expect(store.find(record.idHash)).resolves.toEqual({
          ...record,
          lastSeenAt: touchedAt,
        });
        await storage.advance(2 * MINUTE);
        await expect(store.find(record.idHash)).resolves.toBeNull();
      });

      it('never extends a session past expiresAt by touching it', async () => {
        const record = aSession({
          idleTimeoutMs: 30 * MINUTE,
          expiresAt: storage.clock.now() + 40 * MINUTE,
        });
        await store.create(record);
        await storage.advance(25 * MINUTE);
        await store.touch(record.idHash, storage.clock.now());
        await storage.advance(15 * MINUTE - 1);
        await expect(store.find(record.idHash)).resolves.not.toBeNull();

        await storage.advance(1);

        await expect(store.find(record.idHash)).resolves.toBeNull();
      });

      it('does not bring back a deleted record when touched afterwards', async () => {
        const record = aSession({ userId: 'alice' });
        await store.create(record);
        await store.delete(record.idHash);

        await store.touch(record.idHash, storage.clock.now() + MINUTE);

        await expect(store.find(record.idHash)).resolves.toBeNull();
        await expect(store.listByUser('alice')).resolves.toEqual([]);
      });

      it('does not bring back a session that already idled out when touched', async () => {
        const record = aSession({ idleTimeoutMs: 10 * MINUTE });
        await store.create(record);
        await storage.advance(11 * MINUTE);

        await store.touch(record.idHash, storage.clock.now());

        await expect(store.find(record.idHash)).resolves.toBeNull();
      });

      it('ignores a touch on an unknown id hash', async () => {
        await expect(store.touch('e'.repeat(64), storage.clock.now())).resolves.toBeUndefined();
        await expect(store.find('e'.repeat(64))).resolves.toBeNull();
      });

      it('does not move lastSeenAt back for a touch with an older time', async () => {
        const record = aSession();
        await store.create(record);
        const start = storage.clock.now();

        await store.touch(record.idHash, start + 10 * MINUTE);
        await store.touch(record.idHash, start + 5 * MINUTE);

        await expect(store.find(record.idHash)).resolves.toEqual({
          ...record,
          lastSeenAt: start + 10 * MINUTE,
        });
      });

      it('keeps the latest lastSeenAt when touches race', async () => {
        const other = backend.shared ? await storage.open() : store;
        const record = aSession();
        await store.create(record);
        const start = storage.clock.now();
        // A fixed scramble of 1..50 seconds (17 is coprime with 50), so that
        // later times do not simply arrive last.
        const times = Array.from({ length: 50 }, (_, i) => start + (((i * 17) % 50) + 1) * 1000);

        await Promise.all(
          times.map((time, i) => (i % 2 === 0 ? store : other).touch(record.idHash, time)),
        );

        await expect(store.find(record.idHash)).resolves.toEqual({
          ...record,
          lastSeenAt: start + 50_000,
        });
      });

      it('leaves idle-ended records out of the listing and the deleteByUser count', async () => {
        const idle = aSession({ userId: 'alice', idleTimeoutMs: 5 * MINUTE });
        const active = aSession({ userId: 'alice', idleTimeoutMs: 5 * MINUTE });
        const lasting = aSession({ userId: 'alice' });
        for (const record of [idle, active, lasting]) {
          await store.create(record);
        }
        await storage.advance(4 * MINUTE);
        await store.touch(active.idHash, storage.clock.now());
        await storage.advance(2 * MINUTE);

        await expect(store.listByUser('alice')).resolves.toEqual([
          { ...active, lastSeenAt: active.lastSeenAt + 4 * MINUTE },
          lasting,
        ]);
        await expect(store.deleteByUser('alice')).resolves.toBe(2);
      });
    });

    if (backend.shared) {
      it('shares records between two instances on the same storage', async () => {
        const other = await storage.open();
        const record = aSession({ userId: 'alice' });

        await store.create(record);
        await expect(other.find(record.idHash)).resolves.toEqual(record);
        await expect(other.listByUser('alice')).resolves.toEqual([record]);

        await other.touch(record.idHash, record.lastSeenAt + MINUTE);
        await expect(store.find(record.idHash)).resolves.toEqual({
          ...record,
          lastSeenAt: record.lastSeenAt + MINUTE,
        });

        await other.delete(record.idHash);
        await expect(store.find(record.idHash)).resolves.toBeNull();
      });
    } else {
      it('keeps records per instance, so a second instance does not see them', async () => {
        const other = await storage.open();
        const record = aSession();

        await store.create(record);

        await expect(other.find(record.idHash)).resolves.toBeNull();
      });
    }

    describe('device binding', () => {
      /** A binding as the auth service makes them: 32-byte values, hex cookie hashes. */
      function aBinding(version: number, overrides: Partial<DeviceBinding> = {}): DeviceBinding {
        const now = storage.clock.now();
        const value = () => randomBytes(32).toString('base64url');
        return {
          version,
          key: { x: value(), y: value() },
          challenges: [{ value: value(), expiresAt: now + 5 * MINUTE }],
          cookies: [{ value: randomBytes(32).toString('hex'), expiresAt: now + MINUTE }],
          refreshes: version - 1,
          ...overrides,
        };
      }

      it('keeps a binding offered at creation, and records without one have none', async () => {
        const offered = aSession({
          deviceBinding: aBinding(1, { key: null, cookies: [], refreshes: 0 }),
        });
        const plain = aSession();
        await store.create(offered);
        await store.create(plain);

        await expect(store.find(offered.idHash)).resolves.toEqual(offered);
        const found = await store.find(plain.idHash);
        expect(found?.deviceBinding).toBeUndefined();
      });

      it('saves a newer binding and leaves the rest of the record as it was', async () => {
        const record = aSession({ deviceBinding: aBinding(1, { key: null }) });
        await store.create(record);
        const registered = aBinding(2);

        await expect(store.saveDeviceBinding(record.idHash, registered)).resolves.toBe(true);

        await expect(store.find(record.idHash)).resolves.toEqual({
          ...record,
          deviceBinding: registered,
        });
        await expect(store.listByUser(record.userId)).resolves.toEqual([
          { ...record, deviceBinding: registered },
        ]);
      });

      it('binds a record that had no binding', async () => {
        const record = aSession();
        await store.create(record);

        await expect(store.saveDeviceBinding(record.idHash, aBinding(1))).resolves.toBe(true);
        const found = await store.find(record.idHash);
        expect(found?.deviceBinding?.version).toBe(1);
      });

      it('refuses a binding of the stored version or an older one', async () => {
        const stored = aBinding(3);
        const record = aSession({ deviceBinding: stored });
        await store.create(record);

        await expect(store.saveDeviceBinding(record.idHash, aBinding(3))).resolves.toBe(false);
        await expect(store.saveDeviceBinding(record.idHash, aBinding(2))).resolves.toBe(false);

        const found = await store.find(record.idHash);
        expect(found?.deviceBinding).toEqual(stored);
      });

      it('refuses to bind an unknown, deleted or ended session', async () => {
        const deleted = aSession();
        const ending = aSession({ expiresAt: storage.clock.now() + MINUTE });
        await store.create(deleted);
        await store.create(ending);
        await store.delete(deleted.idHash);
        await storage.advance(MINUTE);

        await expect(store.saveDeviceBinding('e'.repeat(64), aBinding(1))).resolves.toBe(false);
        await expect(store.saveDeviceBinding(deleted.idHash, aBinding(1))).resolves.toBe(false);
        await expect(store.saveDeviceBinding(ending.idHash, aBinding(1))).resolves.toBe(false);
        await expect(store.find(deleted.idHash)).resolves.toBeNull();
      });

      it('loses neither a binding nor a touch when the two race', async () => {
        const record = aSession({ deviceBinding: aBinding(1, { key: null }) });
        await store.create(record);
        const registered = aBinding(2);
        const later = record.lastSeenAt + MINUTE;
        await storage.advance(MINUTE);

        const [saved] = await Promise.all([
          store.saveDeviceBinding(record.idHash, registered),
          store.touch(record.idHash, later),
          store.touch(record.idHash, later - 1000),
        ]);

        expect(saved).toBe(true);
        const found = await store.find(record.idHash);
        expect(found?.deviceBinding).toEqual(registered);
        expect(found?.lastSeenAt).toBe(later);
      });

      it('keeps exactly one of two bindings of the same version written at once', async () => {
        const record = aSession({ deviceBinding: aBinding(1) });
        await store.create(record);
        const first = aBinding(2);
        const second = aBinding(2);

        const results = await Promise.all([
          store.saveDeviceBinding(record.idHash, first),
          store.saveDeviceBinding(record.idHash, second),
        ]);

        expect(results).toContain(true);
        const found = await store.find(record.idHash);
        expect([first, second]).toContainEqual(found?.deviceBinding);
      });
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('closes, rejects use afterwards, and may be closed again', async () => {
      await expect(store.close()).resolves.toBeUndefined();

      await expect(store.find('0'.repeat(64))).rejects.toThrow();
      await expect(store.close()).resolves.toBeUndefined();
    });
  });
});
