import { RESP_TYPES } from 'redis';
import { connectRedisCluster, parseRedisSeedUrls } from './redis-cluster-connection';
import { connectRedis, isRedisCluster, pingRedis, watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import type { DeviceBinding } from './device-binding';
import { decodeSessionValue, encodeSessionValue } from './session-record-encoding';
import { copyRecord, inCreationOrder, isLive } from './session-records';
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

/** Replies as bytes: keys, members and values are binary. */
const BINARY = { [RESP_TYPES.BLOB_STRING]: Buffer } as const;

function binaryReplies(client: RedisConnection) {
  // The same call on each branch: TypeScript cannot call it on the union of the two clients.
  return isRedisCluster(client) ? client.withTypeMapping(BINARY) : client.withTypeMapping(BINARY);
}

/**
 * Which binding a write keeps: `mine`, unless the one it replaced is newer.
 * Of two different bindings of the same version (two changes raced), every
 * writer keeps the same one, the greater as JSON, so the writes settle.
 */
function keptBinding(
  mine: DeviceBinding | undefined,
  replaced: DeviceBinding | undefined,
): DeviceBinding | undefined {
  if (replaced === undefined) return mine;
  if (mine === undefined) return replaced;
  if (replaced.version !== mine.version) return replaced.version > mine.version ? replaced : mine;
  return JSON.stringify(replaced) > JSON.stringify(mine) ? replaced : mine;
}

/** An id hash as `newSession` makes them: SHA-256 in lowercase hex. */
const ID_HASH = /^[0-9a-f]{64}$/;

/** Where a session's record lives and how its user's index names it. */
interface Place {
  readonly key: Buffer | string;
  readonly member: Buffer | string;
  /** A record of the JSON layout, written before the compact one: written back as JSON. */
  readonly legacy: boolean;
}

/**
 * `SessionStore` on Redis (REDIS_URL). A record lives under
 * `<prefix>session:` followed by the 32 raw bytes of its id hash (not its 64
 * hex digits), expiring at `sessionEndsAt(record)`, so an idle session
 * disappears by itself; each user has an index, a sorted set
 * `<prefix>user-sessions:<userId>` whose members are those 32 bytes, scored
 * by absolute expiry.
 *
 * The value is compact, about 100 bytes for a browser session (see
 * `encodeSessionValue`): a marker byte 0x01; the creation time, then the
 * absolute expiry and the last activity relative to it, the idle timeout and
 * the credential version, as zigzag LEB128 integers; then handle, user id,
 * CSRF token, user agent, address and single sign-on sid, each a tag byte
 * and its bytes: a UUID as 16 bytes, a 32-byte base64url secret as 32, an
 * IPv4 address as 4, a user agent with its common fragments as single bytes,
 * any other string as length and UTF-8. The id hash is not repeated: it is
 * the key. So a live browser session costs about 440 bytes of Redis memory,
 * its user's index included, where the JSON layout cost about 1 000.
 *
 * Records stored before, JSON (with the id hash inside) under
 * `<prefix>session:<hex id hash>` and indexed by the hex digits, are still
 * found, touched, listed and deleted: a miss on the binary key looks at the
 * hex one, and index members of 64 characters name hex keys. Nothing writes
 * that layout any more; its last records end with the longest session
 * lifetime (SESSION_TTL) after the upgrade.
 *
 * Every command names a single key (no MGET, KEYS or SCAN) and the one
 * MULTI touches the index alone, so the layout holds on Redis Cluster, where
 * a session's record and its user's index hash to different slots (Redis
 * Cluster specification, "Key distribution model") and may live on
 * different masters.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisConnection;
  readonly #binary: ReturnType<typeof binaryReplies>;
  readonly #prefix: string;
  readonly #recordPrefix: Buffer;
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
    this.#binary = binaryReplies(client);
    this.#prefix = prefix;
    this.#recordPrefix = Buffer.from(`${prefix}session:`, 'utf8');
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

  /** Throws a TypeError when `record.idHash` is not a SHA-256 in lowercase hex. */
  async create(record: SessionRecord): Promise<void> {
    if (!ID_HASH.test(record.idHash)) {
      throw new TypeError('A session id hash is a SHA-256 in lowercase hex');
    }
    // Redis would accept a past PXAT and drop the key at once; skipping the
    // write keeps an ended session from ever touching the user's index.
    if (!isLive(record, this.#now())) return;
    const place = this.#place(record.idHash);
    const index = this.#indexKey(record.userId);
    await Promise.all([
      this.#binary.set(place.key, encodeSessionValue(record), {
        expiration: { type: 'PXAT', value: sessionEndsAt(record) },
      }),
      // Scored by the absolute expiry, which touching never moves. NX sets
      // the first expiry, GT only ever extends it: the index lives as long as
      // its longest-lived member, whatever order writes land in.
      this.#binary
        .multi()
        .zAdd(index, { score: record.expiresAt, value: place.member })
        .pExpireAt(index, record.expiresAt, 'NX')
        .pExpireAt(index, record.expiresAt, 'GT')
        .exec(),
    ]);
  }

  async find(idHash: string): Promise<SessionRecord | null> {
    const found = await this.#read(idHash);
    if (found === null) return null;
    return isLive(found.record, this.#now()) ? found.record : null;
  }

  async touch(idHash: string, lastSeenAt: number): Promise<void> {
    const found = await this.#read(idHash);
    if (found === null || !isLive(found.record, this.#now())) return;
    if (found.record.lastSeenAt >= lastSeenAt) return;
    await this.#write(found.place, { ...found.record, lastSeenAt });
  }

  async saveDeviceBinding(idHash: string, binding: DeviceBinding): Promise<boolean> {
    const found = await this.#read(idHash);
    if (found === null || !isLive(found.record, this.#now())) return false;
    if ((found.record.deviceBinding?.version ?? 0) >= binding.version) return false;
    const stored = await this.#write(found.place, { ...found.record, deviceBinding: binding });
    return stored?.deviceBinding === binding;
  }

  async delete(idHash: string): Promise<void> {
    if (!ID_HASH.test(idHash)) return;
    const places = [this.#place(idHash), this.#legacyPlace(idHash)];
    // Both layouts in one round trip; at most one holds the record.
    const values = await Promise.all(places.map((place) => this.#binary.getDel(place.key)));
    const i = values.findIndex((value) => value !== null);
    if (i < 0) return;
    const record = decodeSessionValue(idHash, values[i] as Buffer);
    await this.#binary.zRem(this.#indexKey(record.userId), places[i].member);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const index = this.#indexKey(userId);
    const now = this.#now();
    // Issued in one tick, node-redis writes these as one pipeline; unlike a
    // MULTI, each command is routed to its own key's slot on a cluster.
    const [, members] = await Promise.all([
      this.#binary.zRemRangeByScore(index, '-inf', now),
      this.#binary.zRange(index, 0, -1),
    ]);
    const places = members.map((member) => this.#memberPlace(member));
    const values = await Promise.all(places.map((place) => this.#binary.get(place.key)));
    const live: SessionRecord[] = [];
    const stale: Buffer[] = [];
    values.forEach((value, i) => {
      const record = value === null ? null : decodeSessionValue(places[i].idHash, value);
      if (record !== null && isLive(record, now)) live.push(record);
      else stale.push(members[i]);
    });
    if (stale.length > 0) await this.#binary.zRem(index, stale);
    return inCreationOrder(live);
  }

  async deleteByUser(userId: string): Promise<number> {
    const index = this.#indexKey(userId);
    const now = this.#now();
    const members = await this.#binary.zRange(index, 0, -1);
    if (members.length === 0) return 0;
    const places = members.map((member) => this.#memberPlace(member));
    const removed = await Promise.all(places.map((place) => this.#binary.getDel(place.key)));
    // Only the members read: a session created meanwhile keeps its entry.
    await this.#binary.zRem(index, members);
    return removed.filter(
      (value, i) => value !== null && isLive(decodeSessionValue(places[i].idHash, value), now),
    ).length;
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

  /** The stored record and where it was found: the binary key, else the hex one. */
  async #read(idHash: string): Promise<{ record: SessionRecord; place: Place } | null> {
    if (!ID_HASH.test(idHash)) return null;
    for (const place of [this.#place(idHash), this.#legacyPlace(idHash)]) {
      const value = await this.#binary.get(place.key);
      if (value !== null) return { record: decodeSessionValue(idHash, value), place };
    }
    return null;
  }

  /**
   * Writes `record` over the stored one, unless that was deleted meanwhile,
   * and resolves to what is stored in the end (null when deleted). The two
   * fields that change after creation only move forward, `lastSeenAt` and
   * the binding's `version`, so a write that replaced a value a concurrent
   * writer had stored in between is merged with it and written again (SET
   * with GET returns exactly the value replaced): no change is lost, without
   * a script or WATCH on a shared connection.
   */
  async #write(place: Place, record: SessionRecord): Promise<SessionRecord | null> {
    let mine = copyRecord(record);
    for (;;) {
      // XX: a record deleted since the read stays deleted.
      const replaced = await this.#binary.set(place.key, this.#encode(mine, place), {
        condition: 'XX',
        expiration: { type: 'PXAT', value: sessionEndsAt(mine) },
        GET: true,
      });
      if (!Buffer.isBuffer(replaced)) return null;
      const before = decodeSessionValue(mine.idHash, replaced);
      const binding = keptBinding(mine.deviceBinding, before.deviceBinding);
      if (before.lastSeenAt <= mine.lastSeenAt && binding === mine.deviceBinding) return mine;
      mine = copyRecord({
        ...mine,
        lastSeenAt: Math.max(mine.lastSeenAt, before.lastSeenAt),
        ...(binding === undefined ? {} : { deviceBinding: binding }),
      });
    }
  }

  #encode(record: SessionRecord, place: Place): Buffer | string {
    return place.legacy ? JSON.stringify(record) : encodeSessionValue(record);
  }

  #place(idHash: string): Place {
    const hash = Buffer.from(idHash, 'hex');
    return { key: Buffer.concat([this.#recordPrefix, hash]), member: hash, legacy: false };
  }

  #legacyPlace(idHash: string): Place {
    return { key: `${this.#prefix}session:${idHash}`, member: idHash, legacy: true };
  }

  /** An index member: 32 raw bytes, or the 64 hex digits of a record stored before them. */
  #memberPlace(member: Buffer): Place & { idHash: string } {
    if (member.length === 32) {
      const idHash = member.toString('hex');
      return { ...this.#place(idHash), idHash };
    }
    const idHash = member.toString('latin1');
    return { ...this.#legacyPlace(idHash), idHash };
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}user-sessions:${userId}`;
  }
}
