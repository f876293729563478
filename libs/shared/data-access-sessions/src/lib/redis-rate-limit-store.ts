import { watchOutages } from './redis-connection';
import type { RedisConnection } from './redis-connection';
import { assertBackoffPolicy, assertWindowMs } from './rate-limit-store';
import type { Attempt, BackoffPolicy, RateLimitStore, RateLimitWindow } from './rate-limit-store';

/** Options for `RedisRateLimitStore`. */
export interface RedisRateLimitStoreOptions {
  /** The clock `resetAt` is reported by (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * `attempt` in one script, so that no other replica's attempt runs between
 * the block check, the count and the new block. KEYS: the attempt counter
 * (expiring with its window) and the block (expiring when it ends). ARGV:
 * windowMs, blockFrom, firstBlockMs, maxBlockMs. Answers {0, ms left of the
 * block} when refused, else {1, attempt number, ms this attempt blocks}.
 * The block length is `backoffBlockMs`, written again in Lua.
 */
const ATTEMPT_SCRIPT = `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {0, left} end
local attempts = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
local beyond = attempts - tonumber(ARGV[2])
if beyond < 0 then return {1, attempts, 0} end
local ms = math.min(tonumber(ARGV[3]) * 2 ^ math.min(beyond, 40), tonumber(ARGV[4]))
redis.call('SET', KEYS[2], attempts, 'PX', string.format('%d', ms))
return {1, attempts, ms}`;

/**
 * `RateLimitStore` on Redis: a counter `<prefix>rate:<key>` that expires when
 * its window closes, so every replica counts against the same window and
 * Redis's clock alone decides when it closes. `attempt` keeps a counter
 * `<prefix>backoff:{<key>}` and a block `<prefix>backoff:{<key>}:blocked`,
 * each expiring by itself. Single-key commands only (each MULTI names the one
 * counter, so it never spans hash slots), and one script whose two keys share
 * a hash tag, so one slot: it holds on Redis Cluster.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: RedisConnection;
  readonly #prefix: string;
  readonly #now: () => number;

  /**
   * Uses a connected client or cluster client that its owner closes (see
   * `connectRedis`, `connectRedisCluster`); its
   * errors are logged once per outage.
   */
  constructor(client: RedisConnection, prefix: string, options: RedisRateLimitStoreOptions = {}) {
    this.#client = client;
    this.#prefix = prefix;
    this.#now = options.now ?? Date.now;
    watchOutages(client);
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    assertWindowMs(windowMs);
    const counter = this.#key(key);
    // One MULTI, so no replica's hit lands between the count and its expiry.
    // NX: only the hit that opens the window decides when it closes.
    const [count, , ttl] = await this.#client
      .multi()
      .incr(counter)
      .pExpire(counter, windowMs, 'NX')
      .pTTL(counter)
      .exec();
    return Object.freeze({ count: Number(count), resetAt: this.#now() + Number(ttl) });
  }

  async peek(key: string): Promise<RateLimitWindow | null> {
    const counter = this.#key(key);
    const [count, ttl] = await this.#client.multi().get(counter).pTTL(counter).exec();
    // PTTL answers -2 for a missing key (the window closed between the two).
    if (count === null || Number(ttl) < 0) return null;
    return Object.freeze({ count: Number(count), resetAt: this.#now() + Number(ttl) });
  }

  async reset(key: string): Promise<void> {
    await this.#client.del(this.#key(key));
  }

  async attempt(key: string, policy: BackoffPolicy): Promise<Attempt> {
    assertBackoffPolicy(policy);
    const reply = (await this.#client.eval(ATTEMPT_SCRIPT, {
      keys: this.#backoffKeys(key),
      arguments: [policy.windowMs, policy.blockFrom, policy.firstBlockMs, policy.maxBlockMs].map(
        String,
      ),
    })) as number[];
    const [allowed, first, second] = reply.map(Number);
    return allowed === 1
      ? { allowed: true, number: first, blockMs: second }
      : { allowed: false, retryAt: this.#now() + first };
  }

  async forgive(key: string): Promise<void> {
    await this.#client.del(this.#backoffKeys(key));
  }

  /** The counter and the block of `attempt`, in one hash slot (Redis Cluster specification, "Hash tags"). */
  #backoffKeys(key: string): [string, string] {
    const counter = `${this.#prefix}backoff:{${key}}`;
    return [counter, `${counter}:blocked`];
  }

  #key(key: string): string {
    return `${this.#prefix}rate:${key}`;
  }
}
