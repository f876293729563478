import { describeError } from '@svt/shared/data-access-sql';
import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { inCreationOrder, parseRecord } from './session-records';
import type { SessionRecord, SessionStore } from './session-store';

/** Options for `RedisSessionStore.connect`. */
export interface RedisSessionStoreConnectOptions {
  /** How long the first connection may take, retries included (default 5000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Options for a `RedisSessionStore` on a client of your own. */
export interface RedisSessionStoreOptions {
  /** The clock expiry is judged by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * The server a URL points at, without credentials, for error messages.
 * Throws when the URL does not parse, without echoing it.
 */
function describeServer(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    throw new Error('The Redis URL is not a valid URL');
  }
}

/** Exponential backoff with jitter, capped at 5 s. */
function backoff(retries: number): number {
  return Math.min(100 * 2 ** retries, 5000) + Math.floor(Math.random() * 100);
}

/**
 * `SessionStore` on Redis (REDIS_URL). A record is JSON under
 * `<prefix>session:<idHash>` expiring at `expiresAt`; each user has an index,
 * a sorted set `<prefix>user-sessions:<userId>` of id hashes scored by expiry.
 *
 * Every command names a single key (no MGET, KEYS or SCAN), so the layout
 * holds on Redis Cluster where the keys of one user land in different slots.
 */
export class RedisSessionStore implements SessionStore {
  readonly #client: RedisClientType;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #logger = new Logger(RedisSessionStore.name);
  #ownsClient = false;
  #inOutage = false;
  #closing: Promise<void> | undefined;

  /**
   * Uses a connected client; `close()` leaves it open for its owner. The
   * store logs the client's errors once per outage, so an 'error' event can
   * never crash the process.
   */
  constructor(client: RedisClientType, prefix: string, options: RedisSessionStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    client.on('error', this.#onError);
    client.on('ready', this.#onReady);
  }

  /**
   * Connects to `url` and keys everything under `prefix`. The first
   * connection is retried until `connectTimeoutMs`, then rejects with an Error
   * naming the server (never the password); once connected, the client
   * reconnects with backoff for as long as it takes, and commands issued
   * meanwhile fail fast instead of queueing.
   */
  static async connect(
    url: string,
    prefix: string,
    options: RedisSessionStoreConnectOptions = {},
  ): Promise<RedisSessionStore> {
    const server = describeServer(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
    const startedAt = Date.now();
    let connected = false;
    const client: RedisClientType = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: connectTimeoutMs,
        reconnectStrategy: (retries) =>
          connected || Date.now() - startedAt < connectTimeoutMs ? backoff(retries) : false,
      },
    });
    const store = new RedisSessionStore(client, prefix);
    store.#ownsClient = true;
    client.once('ready', () => (connected = true));
    try {
      await client.connect();
    } catch (error) {
      if (client.isOpen) client.destroy();
      throw new Error(`Cannot connect to Redis at ${server}: ${describeError(error)}`, {
        cause: error,
      });
    }
    return store;
  }

  async create(record: SessionRecord): Promise<void> {
    // Redis would accept a past PXAT and drop the key at once; skipping the
    // write keeps a past expiry from ever touching the user's index.
    if (record.expiresAt <= this.#now()) return;
    const index = this.#indexKey(record.userId);
    await Promise.all([
      this.#client.set(this.#recordKey(record.idHash), JSON.stringify(record), {
        expiration: { type: 'PXAT', value: record.expiresAt },
      }),
      // NX sets the first expiry, GT only ever extends it: the index lives
      // as long as its longest-lived member, whatever order writes land in.
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
    return record.expiresAt > this.#now() ? record : null;
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
      if (record !== null && record.expiresAt > now) live.push(record);
      else stale.push(idHashes[i]);
    });
    if (stale.length > 0) await this.#client.zRem(index, stale);
    return inCreationOrder(live);
  }

  async deleteByUser(userId: string): Promise<number> {
    const index = this.#indexKey(userId);
    const idHashes = await this.#client.zRange(index, 0, -1);
    if (idHashes.length === 0) return 0;
    const deleted = await Promise.all(
      idHashes.map((idHash) => this.#client.del(this.#recordKey(idHash))),
    );
    // Only the members read: a session created meanwhile keeps its entry.
    await this.#client.zRem(index, idHashes);
    return deleted.reduce((sum, count) => sum + count, 0);
  }

  async ping(): Promise<void> {
    await this.#client.ping();
  }

  /** Closes the client when `connect` opened it; otherwise detaches from it. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    if (this.#ownsClient && this.#client.isOpen) await this.#client.close();
    this.#client.off('error', this.#onError);
    this.#client.off('ready', this.#onReady);
  }

  #recordKey(idHash: string): string {
    return `${this.#prefix}session:${idHash}`;
  }

  #indexKey(userId: string): string {
    return `${this.#prefix}user-sessions:${userId}`;
  }

  readonly #onError = (error: unknown): void => {
    if (this.#inOutage) return;
    this.#inOutage = true;
    this.#logger.warn(`Redis connection failed: ${describeError(error)}`);
  };

  readonly #onReady = (): void => {
    if (!this.#inOutage) return;
    this.#inOutage = false;
    this.#logger.log('Redis connection restored');
  };
}
