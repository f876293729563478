import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MirroredDenylist } from './mirrored-denylist';
import { connectRedisCluster, parseRedisSeedUrls } from './redis-cluster-connection';
import { isRedisCluster, pingRedis } from './redis-connection';
import { RedisSessionStore } from './redis-session-store';
import type { SessionRecord } from './session-store';
import { openSharedState } from './shared-state';
import type { SharedState } from './shared-state';
import {
  deleteKeysWithPrefix,
  keysWithPrefix,
  redisClusterForTests,
  uniquePrefix,
} from './testing/contract-harness';
import { eventually } from './testing/denial-recorder';

function aSession(userId: string, now: number): SessionRecord {
  const idHash = randomBytes(32).toString('hex');
  return {
    idHash,
    handle: `handle-${idHash.slice(0, 8)}`,
    userId,
    csrfToken: 'csrf',
    createdAt: now,
    expiresAt: now + 3_600_000,
    lastSeenAt: now,
    idleTimeoutMs: 1_800_000,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    amr: ['pwd'],
    authTime: now,
  };
}

describe('parseRedisSeedUrls', () => {
  it('splits a comma-separated list, ignoring blanks around the commas', () => {
    expect(parseRedisSeedUrls(' redis://h1:7000 ,redis://h2:7001,')).toEqual([
      'redis://h1:7000',
      'redis://h2:7001',
    ]);
  });

  it.each([
    ['an empty list', ' , ', /empty/],
    ['an http URL', 'http://h1:7000', /h1:7000 is not a redis:\/\/ or rediss:\/\/ URL/],
    ['a database other than 0', 'redis://h1:7000/2', /h1:7000 names a database/],
    ['mixed schemes', 'redis://h1:7000,rediss://h2:7001', /one scheme and one set of credentials/],
    [
      'mixed credentials',
      'redis://a:s3cret@h1:7000,redis://h2:7001',
      /one scheme and one set of credentials/,
    ],
  ])('rejects %s with a TypeError that names no password', (_, list, message) => {
    expect(() => parseRedisSeedUrls(list)).toThrow(TypeError);
    expect(() => parseRedisSeedUrls(list)).toThrow(message);
    expect(() => parseRedisSeedUrls(list)).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});

describe('connectRedisCluster', () => {
  it('rejects with every seed named, and no password, when no seed answers', async () => {
    const connecting = connectRedisCluster(
      ['redis://app:s3cret@127.0.0.1:1', 'redis://app:s3cret@127.0.0.1:2'],
      { connectTimeoutMs: 300 },
    );

    await expect(connecting).rejects.toThrow(
      /^Cannot connect to Redis Cluster at 127\.0\.0\.1:1, 127\.0\.0\.1:2: /,
    );
    await expect(connecting).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });
});

describe('openSharedState with a list of servers', () => {
  it('rejects the list without redisCluster, saying to set REDIS_CLUSTER=true', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'svt-cluster-'));
    try {
      const opening = openSharedState({
        redisUrl: 'redis://127.0.0.1:1,redis://127.0.0.1:2',
        redisKeyPrefix: 'svt:',
        sqliteFile: join(dir, 'sessions.sqlite'),
      });

      await expect(opening).rejects.toThrow(TypeError);
      await expect(opening).rejects.toThrow(/set REDIS_CLUSTER=true/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const running = redisClusterForTests('RedisSessionStore key layout and shared state');

if (running) {
  describe('RedisSessionStore on a 3-master Redis Cluster', () => {
    let prefix: string;
    let store: RedisSessionStore;

    beforeEach(async () => {
      prefix = uniquePrefix();
      store = await RedisSessionStore.connect(running.cluster.seedUrl, prefix, { cluster: true });
    });

    afterEach(async () => {
      await store.close();
      await deleteKeysWithPrefix(running.cluster.urls, prefix);
    });

    it("spreads the users' keys over several masters, and still lists and deletes all of a user's sessions", async () => {
      const now = Date.now();
      const users = Array.from({ length: 12 }, (_, i) => `user-${i}`);
      const created = new Map(
        users.map((userId) => [userId, [aSession(userId, now), aSession(userId, now + 1)]]),
      );
      for (const records of created.values()) {
        for (const record of records) await store.create(record);
      }

      const keysPerMaster = await Promise.all(
        running.cluster.urls.map((url) => keysWithPrefix(url, prefix)),
      );
      expect(keysPerMaster.filter((keys) => keys.length > 0).length).toBeGreaterThanOrEqual(2);
      // Every record and every index exists once, on exactly one master.
      const hex = (keys: Buffer[]): string[] => keys.map((key) => key.toString('hex')).sort();
      expect(hex(keysPerMaster.flat())).toEqual(
        hex([
          ...users.map((userId) => Buffer.from(`${prefix}user-sessions:${userId}`)),
          ...[...created.values()]
            .flat()
            .map((record) =>
              Buffer.concat([Buffer.from(`${prefix}session:`), Buffer.from(record.idHash, 'hex')]),
            ),
        ]),
      );

      for (const [userId, records] of created) {
        await expect(store.listByUser(userId)).resolves.toEqual(records);
      }
      for (const userId of users) {
        await expect(store.deleteByUser(userId)).resolves.toBe(2);
      }
      for (const userId of users) {
        await expect(store.listByUser(userId)).resolves.toEqual([]);
      }
      const left = await Promise.all(
        running.cluster.urls.map((url) => keysWithPrefix(url, prefix)),
      );
      expect(left.flat()).toEqual([]);
    });

    it('answers ping while every master does', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });

  describe('openSharedState on a Redis Cluster', () => {
    const opened: SharedState[] = [];
    let prefix: string;
    let dir: string;

    beforeEach(async () => {
      prefix = uniquePrefix();
      dir = await mkdtemp(join(tmpdir(), 'svt-cluster-'));
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((state) => state.close()));
      await deleteKeysWithPrefix(running.cluster.urls, prefix);
      await rm(dir, { recursive: true, force: true });
    });

    async function open(seeds: string): Promise<SharedState> {
      const state = await openSharedState({
        redisUrl: seeds,
        redisCluster: true,
        redisKeyPrefix: prefix,
        sqliteFile: join(dir, 'sessions.sqlite'),
      });
      opened.push(state);
      return state;
    }

    it('carries a denial made by one process to the mirrors of the others within 1 s', async () => {
      // Each opens from a different seed; their subscribers land on random nodes.
      const [here, ...others] = await Promise.all(running.cluster.urls.map((url) => open(url)));

      await here.denylist.deny('sid-1', Date.now() + 60_000);

      for (const other of others) {
        const mirror = other.denylist;
        if (!(mirror instanceof MirroredDenylist)) throw new Error('expected a MirroredDenylist');
        // From memory: true only once the feed has delivered the denial.
        await eventually(
          () => mirror.isDeniedFromMemory('sid-1') === true,
          'the denial delivered over the cluster',
          1000,
        );
      }
    });

    it('answers ping while open and rejects once closed', async () => {
      const state = await open(running.cluster.seedUrl);
      await expect(state.ping()).resolves.toBeUndefined();

      await state.close();

      await expect(state.ping()).rejects.toThrow();
      await expect(state.sessions.find('0'.repeat(64))).rejects.toThrow();
      await expect(state.oidc.find('Session', 'op-session-1')).rejects.toThrow();
    });
  });

  describe('pingRedis on a cluster client', () => {
    it('pings every master the cluster reports', async () => {
      const cluster = await connectRedisCluster(running.cluster.urls.slice(0, 1));
      try {
        expect(isRedisCluster(cluster)).toBe(true);
        expect(cluster.masters.map((master) => `redis://${master.address}`).sort()).toEqual(
          [...running.cluster.urls].sort(),
        );
        await expect(pingRedis(cluster)).resolves.toBeUndefined();
      } finally {
        await cluster.close();
      }
    });
  });
}
