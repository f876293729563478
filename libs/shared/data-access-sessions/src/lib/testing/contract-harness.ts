import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRedisServer, startRedisCluster } from '@svt/shared/util-test-redis';
import type { RedisTestCluster } from '@svt/shared/util-test-redis';
import { createClient, RESP_TYPES } from 'redis';
import { connectRedisCluster } from '../redis-cluster-connection';
import { connectRedis } from '../redis-connection';
import type { RedisConnection } from '../redis-connection';

/**
 * A clock that tests move by hand, so nothing waits on real time. It starts at
 * the real time and only moves forward, so a Redis expiry set from it is never
 * already past for the server.
 */
export class ManualClock {
  #now: number;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  /** The current time, epoch ms; pass it as an adapter's `now` option. */
  readonly now = (): number => this.#now;

  advance(ms: number): void {
    this.#now += ms;
  }
}

/** Something a test opened, with how to close it. */
export interface Opened<Port> {
  readonly port: Port;
  close(): Promise<void>;
}

/** An adapter instance that closes itself. */
export function selfClosing<Port extends { close(): Promise<void> }>(port: Port): Opened<Port> {
  return { port, close: () => port.close() };
}

/** An adapter instance that holds nothing to close. */
export function nothingToClose<Port>(port: Port): Opened<Port> {
  return { port, close: async () => undefined };
}

/** Adapter instances over one backing storage, created fresh for each test. */
export interface Storage<Port> {
  /** The clock every instance of this storage is judged by. */
  readonly clock: ManualClock;
  /** Another instance, as another process would open it. */
  open(): Promise<Port>;
  /** Moves time on by `ms` for the instances and, where it has its own clock, the backend. */
  advance(ms: number): Promise<void>;
  /** Closes every instance opened and removes the backing storage. */
  dispose(): Promise<void>;
}

/** One adapter technology to run a contract suite against. */
export interface Backend<Port> {
  readonly name: string;
  /** Whether two instances see each other's state (false: per process). */
  readonly shared: boolean;
  /**
   * How far a reported `resetAt` may fall short of the test's clock: Redis
   * counts a TTL down by its own clock, which a test cannot stop.
   */
  readonly clockSlackMs: number;
  create(): Promise<Storage<Port>>;
}

function storage<Port>(
  clock: ManualClock,
  open: () => Promise<Opened<Port>>,
  options: { cleanup?: () => Promise<void>; onAdvance?: (ms: number) => Promise<void> } = {},
): Storage<Port> {
  const opened: Opened<Port>[] = [];
  return {
    clock,
    open: async () => {
      const instance = await open();
      opened.push(instance);
      return instance.port;
    },
    advance: async (ms) => {
      clock.advance(ms);
      await options.onAdvance?.(ms);
    },
    dispose: async () => {
      await Promise.all(opened.map((instance) => instance.close()));
      await options.cleanup?.();
    },
  };
}

/** Instances that each keep their own state in this process. */
function memoryBackend<Port>(
  name: string,
  open: (now: () => number) => Opened<Port>,
): Backend<Port> {
  return {
    name,
    shared: false,
    clockSlackMs: 0,
    create: async () => {
      const clock = new ManualClock();
      return storage(clock, async () => open(clock.now));
    },
  };
}

/** Instances on one SQLite file in a fresh directory. */
function sqliteBackend<Port>(
  name: string,
  open: (file: string, now: () => number) => Promise<Opened<Port>>,
): Backend<Port> {
  return {
    name,
    shared: true,
    clockSlackMs: 0,
    create: async () => {
      const clock = new ManualClock();
      const dir = await mkdtemp(join(tmpdir(), 'svt-sessions-'));
      const file = join(dir, 'sessions.sqlite');
      return storage(clock, () => open(file, clock.now), {
        cleanup: () => rm(dir, { recursive: true, force: true }),
      });
    },
  };
}

/** Options for a Redis backend. */
export interface RedisBackendOptions {
  /**
   * Whether `advance` also brings the keys' TTLs closer, deleting those it
   * reaches: for adapters whose windows Redis's own clock closes.
   */
  readonly ageKeys?: boolean;
}

/**
 * Instances on the Redis server at `url`, each on its own connection, under a
 * fresh prefix. For a cluster, `url` gives the URL of every node, read when a
 * test starts (a cluster starts in `beforeAll`), so that keys are cleaned up
 * and aged on each.
 */
function redisBackend<Port>(
  name: string,
  url: string | (() => readonly string[]),
  open: (prefix: string, now: () => number) => Promise<Opened<Port>>,
  options: RedisBackendOptions = {},
): Backend<Port> {
  const nodes = (): readonly string[] => (typeof url === 'string' ? [url] : url());
  return {
    name,
    shared: true,
    clockSlackMs: 5_000,
    create: async () => {
      const clock = new ManualClock();
      const prefix = uniquePrefix();
      return storage(clock, () => open(prefix, clock.now), {
        cleanup: () => deleteKeysWithPrefix(nodes(), prefix),
        onAdvance: options.ageKeys ? (ms) => ageKeysWithPrefix(nodes(), prefix, ms) : undefined,
      });
    },
  };
}

/** Where a contract suite opens a Redis adapter: one server, or a Redis Cluster. */
export type RedisForTests =
  | { readonly kind: 'server'; readonly url: string }
  | { readonly kind: 'cluster'; readonly cluster: RedisTestCluster };

/** How to open each adapter of one port, for {@link contractBackends}. */
export interface PortAdapters<Port> {
  /** The port's name, in the line that says a Redis suite is skipped. */
  readonly port: string;
  readonly memory: { readonly name: string; readonly open: (now: () => number) => Opened<Port> };
  readonly sqlite: {
    readonly name: string;
    readonly open: (file: string, now: () => number) => Promise<Opened<Port>>;
  };
  readonly redis: RedisBackendOptions & {
    readonly name: string;
    readonly open: (
      redis: RedisForTests,
      prefix: string,
      now: () => number,
    ) => Promise<Opened<Port>>;
  };
}

/**
 * The backends a port's contract suite runs on: memory and SQLite always;
 * the Redis server at REDIS_URL when it is set; a Redis Cluster of local
 * `redis-server` processes when one is on PATH. Call it inside the suite's
 * `describe`, as it registers the cluster's `beforeAll` and `afterAll`.
 */
export function contractBackends<Port>(adapters: PortAdapters<Port>): Backend<Port>[] {
  const { memory, sqlite, redis } = adapters;
  const backends = [
    memoryBackend(memory.name, memory.open),
    sqliteBackend(sqlite.name, sqlite.open),
  ];
  const url = redisUrlForTests(adapters.port);
  if (url) {
    backends.push(
      redisBackend(
        redis.name,
        url,
        (prefix, now) => redis.open({ kind: 'server', url }, prefix, now),
        redis,
      ),
    );
  }
  const running = redisClusterForTests(adapters.port);
  if (running) {
    backends.push(
      redisBackend(
        `${redis.name} on a Redis Cluster`,
        () => running.cluster.urls,
        (prefix, now) => redis.open({ kind: 'cluster', cluster: running.cluster }, prefix, now),
        redis,
      ),
    );
  }
  return backends;
}

/**
 * An adapter built on a client of its own on `redis`, which closing closes.
 * On a cluster the client gets one seed only: it finds the other masters by itself.
 */
export async function onOwnClient<Port>(
  redis: RedisForTests,
  build: (client: RedisConnection) => Port,
): Promise<Opened<Port>> {
  const client =
    redis.kind === 'server'
      ? await connectRedis(redis.url)
      : await connectRedisCluster(redis.cluster.urls.slice(0, 1));
  return { port: build(client), close: () => client.close() };
}

/** A Redis Cluster for one spec file: started in `beforeAll`, stopped in `afterAll`. */
export interface ClusterForTests {
  /** The running cluster; throws before `beforeAll` has started it. */
  readonly cluster: RedisTestCluster;
}

/**
 * Starts a 3-master Redis Cluster of local `redis-server` processes for the
 * spec file that calls it (at its top level): in `beforeAll`, stopped in
 * `afterAll`. When `redis-server` is not on PATH, says loudly that the suite
 * named `suite` is skipped and resolves to undefined.
 */
export function redisClusterForTests(suite: string): ClusterForTests | undefined {
  if (findRedisServer() === undefined) {
    console.warn(
      `SKIPPED: Redis Cluster suite of ${suite} (redis-server not found) — install Redis 7 or later to run it`,
    );
    return undefined;
  }
  let running: RedisTestCluster | undefined;
  beforeAll(async () => {
    running = await startRedisCluster({ masters: 3 });
  }, 30_000);
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get cluster(): RedisTestCluster {
      if (running === undefined) throw new Error('The Redis Cluster has not started');
      return running;
    },
  };
}

/**
 * The Redis server for the adapter suites, from REDIS_URL. When it is unset,
 * says loudly that the suite named `suite` is skipped.
 */
export function redisUrlForTests(suite: string): string | undefined {
  // eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
  const url = process.env['REDIS_URL'];
  if (url) return url;
  console.warn(
    `SKIPPED: Redis adapter suite of ${suite} — set REDIS_URL (e.g. redis://127.0.0.1:6379) to run it`,
  );
  return undefined;
}

/** A key prefix of its own for each test, so runs never see each other's keys. */
export function uniquePrefix(): string {
  return `svt-test:${randomBytes(8).toString('hex')}:`;
}

/** A client whose replies are bytes: keys may be binary (a session's raw id hash). */
function binaryClient(url: string) {
  return createClient({ url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
}

/**
 * Runs `work` on each batch of keys under `prefix`, on each server of `url`
 * (every master of a cluster: each scans only its own slots). Test harness
 * only: the adapters never scan. The keys are bytes, since some are binary.
 */
async function forKeysWithPrefix(
  url: string | readonly string[],
  prefix: string,
  work: (client: ReturnType<typeof binaryClient>, keys: Buffer[]) => Promise<unknown>,
): Promise<void> {
  for (const node of typeof url === 'string' ? [url] : url) {
    const client = binaryClient(node);
    await client.connect();
    try {
      // SCAN by hand: the iterator compares the cursor with the string '0',
      // which a cursor read as bytes never equals.
      let cursor = '0';
      do {
        const reply = await client.scan(cursor, { MATCH: `${prefix}*`, COUNT: 100 });
        cursor = reply.cursor.toString();
        if (reply.keys.length > 0) await work(client, reply.keys);
      } while (cursor !== '0');
    } finally {
      await client.close();
    }
  }
}

/** The keys under `prefix` on the server at `url`, e.g. on one master of a cluster. */
export async function keysWithPrefix(url: string, prefix: string): Promise<Buffer[]> {
  const found: Buffer[] = [];
  await forKeysWithPrefix(url, prefix, async (_, keys) => found.push(...keys));
  return found;
}

/** Deletes every key under `prefix`. */
export function deleteKeysWithPrefix(
  url: string | readonly string[],
  prefix: string,
): Promise<void> {
  return forKeysWithPrefix(url, prefix, (client, keys) =>
    Promise.all(keys.map((key) => client.del(key))),
  );
}

/**
 * Brings every key under `prefix` `ms` closer to its expiry, deleting those it
 * reaches: Redis's clock cannot be moved, so a test moves the keys instead.
 */
export function ageKeysWithPrefix(
  url: string | readonly string[],
  prefix: string,
  ms: number,
): Promise<void> {
  return forKeysWithPrefix(url, prefix, (client, keys) =>
    Promise.all(
      keys.map(async (key) => {
        const ttl = await client.pTTL(key);
        if (ttl < 0) return; // -1: no expiry, -2: already gone
        await (ttl <= ms ? client.del(key) : client.pExpire(key, ttl - ms));
      }),
    ),
  );
}
