import { connectRedisCluster, parseRedisSeedUrls } from './redis-cluster-connection';
import { connectRedis, pingRedis, watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import { copyRecord, inCreationOrder, isLive, parseRecord } from './session-records';
import { sessionEndsAt } from './session-store';
import type { SessionRecord, SessionStore } from './session-store';

/** Options for a `RedisSessionStore` on a client of your own. */
export interface RedisSessionStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
}

/** Options for `RedisSessionStore.connect`. */
export interface RedisSessionStoreConnectOptions extends RedisSessionStoreOptions {
  /** How long the first connection may take, retries included (default 5000 ms). */
  readonly connectTimeoutMs?: number;
  /**
   * Whether `url` is a comma-separated list of seed nodes of a Redis Cluster
   * (see `connectRedisCluster`) rather than one server (default false).
   */
  readonly cluster?: boolean;
}

/**
 * `SessionStore` on Redis (REDIS_URL). A record is JSON under
 * `<prefix>session:<idHash>` expiring at `sessionEndsAt(record)`, so an idle
 * session disappears by itself; each user has an index, a sorted set
 * `<prefix>user-sessions:<userId>` of id hashes scored by absolute expiry.
 *
 * Every command names a single key (no MGET, KEYS or SCAN) and the one
 * MULTI touches the index alone, so the layout holds on Redis Cluster, where
 * a session's record and its user's index hash to different slots (Redis
 * Cluster specification, "Key distribution model") and may live on
 * different masters.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;
  #ownsClient = false;
  #closing: Promise<void> | undefined;

  /**
   * Uses a connected client or cluster client; `close()` leaves it open for its owner. The
   * client's errors are logged once per outage, so an 'error' event can never
   * crash the process.
   */
  constructor(client: RedisConnection, prefix: string, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    watchOutages(client);
  }

  /**
   * Connects to `url` (see `connectRedis`, or `connectRedisCluster` with
   * `cluster`) and keys everything under `prefix`; `close()` closes the
   * connection.
   */
  static async connect(
    url: string,
    prefix: string,
    options: RedisSessionStoreConnectOptions = {},
  ): Promise<RedisSessionStore> {
    const client = options.cluster
      ? await connectRedisCluster(parseRedisSeedUrls(url), options)
      : await connectRedis(url, options);
    const store = new RedisSessionStore(client, prefix, options);
    store.#ownsClient = true;
    return store;
  }

  async create(record: SessionRecord): Promise<void> {
    // Redis would accept a past PXAT and drop the key at once; skipping the
    // write keeps an ended session from ever touching the user's index.
    if (!isLive(record, this.#now())) return;
    const index = this.#indexKey(record.userId);
    await Promise.all([
      this.#client.set(this.#recordKey(record.idHash), JSON.stringify(record), {
        expiration: { type: 'PXAT', value: sessionEndsAt(record) },
      }),
      // Scored by the absolute expiry, which touching never moves. NX sets
      // the first expiry, GT only ever extends it: the index lives as long as
      // its longest-lived member, whatever order writes land in.
      this.#client
        .multi()
        .zAdd(index, { score: record.expiresAt, value: record.idHash })
        .pExpireAt(index, record.expiresAt, 'NX')
        .pExpireAt(index, record.expiresAt, 'GT')
        .exec(),
    ]);
  }

  async find(idHash: string): Promise<SessionRecord | null> {
    const json = await this.#client.get(this.#recordKey(idHash));
    if (json === null) return null;
    const record = parseRecord(json);
    return isLive(record, this.#now()) ? record : null;
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    const key = this.#recordKey(idHash);
    const json = await this.#client.get(key);
    if (json === null) return;
    const record = parseRecord(json);
    if (!isLive(record, this.#now())) return;
    let stored = record.lastSeenAt;
    let target = lastSeenAt;
    while (stored < target) {
      const touched = copyRecord({ ...record, lastSeenAt: target });
      // XX: a record deleted since the read stays deleted.
      const replaced = await this.#client.set(key, JSON.stringify(touched), {
        condition: 'XX',
        expiration: { type: 'PXAT', value: sessionEndsAt(touched) },
        GET: true,
      });
      if (typeof replaced !== 'string') return;
      // A concurrent touch may have landed between the read and the write
      // with a later lastSeenAt; writing that one back keeps lastSeenAt from
      // ever moving back, without a script or WATCH on a shared connection.
      stored = target;
      target = parseRecord(replaced).lastSeenAt;
    }
  }

  async delete(idHash: string): Promise<void> {
    const json = await this.#client.getDel(this.#recordKey(idHash));
    if (json === null) return;
    await this.#client.zRem(this.#indexKey(parseRecord(json).userId), idHash);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const index = this.#indexKey(userId);
    const now = this.#now();
    // Issued in one tick, node-redis writes these as one pipeline; unlike a
    // MULTI, each command is routed to its own key's slot on a cluster.
    const [, idHashes] = await Promise.all([
      this.#client.zRemRangeByScore(index, '-inf', now),
      this.#client.zRange(index, 0, -1),
    ]);
    const values = await Promise.all(
      idHashes.map((idHash) => this.#client.get(this.#recordKey(idHash))),
    );
    const live: SessionRecord[] = [];
    const stale: string[] = [];
    values.forEach((json, i) => {
      const record = json === null ? null : parseRecord(json);
      if (record !== null && isLive(record, now)) live.push(record);
      else stale.push(idHashes[i]);
    });
    if (stale.length > 0) await this.#client.zRem(index, stale);
    return inCreationOrder(live);
  }

  async deleteByUser(userId: string): Promise<number> {
    const index = this.#indexKey(userId);
    const now = this.#now();
    const idHashes = await this.#client.zRange(index, 0, -1);
    if (idHashes.length === 0) return 0;
    const removed = await Promise.all(
      idHashes.map((idHash) => this.#client.getDel(this.#recordKey(idHash))),
    );
    // Only the members read: a session created meanwhile keeps its entry.
    await this.#client.zRem(index, idHashes);
    return removed.filter((json) => json !== null && isLive(parseRecord(json), now)).length;
  }

  /** Resolves when the server answers; on a cluster, every master. */
  ping(): Promise<void> {
    return pingRedis(this.#client);
  }

  /** Closes the client when `connect` opened it; otherwise leaves it to its owner. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#ownsClient && this.#client.isOpen) await this.#client.close();
  }

  #recordKey(idHash: string): string {
    return `${this.#prefix}session:${idHash}`;
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}user-sessions:${userId}`;
  }
}
