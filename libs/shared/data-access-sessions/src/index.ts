export { SESSION_STORE, sessionEndsAt } from './lib/session-store';
export { newSession } from './lib/new-session';
export {
  afterProof,
  hasLiveBoundCookie,
  hasLiveChallenge,
  offeredBinding,
  withChallenge,
} from './lib/device-binding';
export type { DeviceBinding, DeviceKey, Expiring } from './lib/device-binding';
export type { NewSessionFields } from './lib/new-session';
export type { SessionRecord, SessionStore } from './lib/session-store';
export { MemorySessionStore } from './lib/memory-session-store';
export type { MemorySessionStoreOptions } from './lib/memory-session-store';
export { SqliteSessionStore } from './lib/sqlite-session-store';
export type { SqliteSessionStoreOptions } from './lib/sqlite-session-store';
export { RedisSessionStore } from './lib/redis-session-store';
export type {
  RedisSessionStoreConnectOptions,
  RedisSessionStoreOptions,
} from './lib/redis-session-store';
export { DENYLIST } from './lib/denylist';
export type { Denial, DenialListener, Denylist, Following } from './lib/denylist';
export { MemoryDenylist } from './lib/memory-denylist';
export type { MemoryDenylistOptions } from './lib/memory-denylist';
export { MirroredDenylist } from './lib/mirrored-denylist';
export type { MirroredDenylistOptions } from './lib/mirrored-denylist';
export { SqliteDenylist } from './lib/sqlite-denylist';
export type { SqliteDenylistOptions } from './lib/sqlite-denylist';
export { RedisDenylist } from './lib/redis-denylist';
export type { RedisDenylistOptions } from './lib/redis-denylist';
export { RATE_LIMIT_STORE } from './lib/rate-limit-store';
export type {
  Attempt,
  BackoffPolicy,
  RateLimitStore,
  RateLimitWindow,
} from './lib/rate-limit-store';
export { MemoryRateLimitStore } from './lib/memory-rate-limit-store';
export type { MemoryRateLimitStoreOptions } from './lib/memory-rate-limit-store';
export { SqliteRateLimitStore } from './lib/sqlite-rate-limit-store';
export type { SqliteRateLimitStoreOptions } from './lib/sqlite-rate-limit-store';
export { RedisRateLimitStore } from './lib/redis-rate-limit-store';
export type { RedisRateLimitStoreOptions } from './lib/redis-rate-limit-store';
export { OIDC_STATE_STORE } from './lib/oidc-state-store';
export type { OidcPayload, OidcStateStore } from './lib/oidc-state-store';
export { MemoryOidcStateStore } from './lib/memory-oidc-state-store';
export type { MemoryOidcStateStoreOptions } from './lib/memory-oidc-state-store';
export { SqliteOidcStateStore } from './lib/sqlite-oidc-state-store';
export type { SqliteOidcStateStoreOptions } from './lib/sqlite-oidc-state-store';
export { RedisOidcStateStore } from './lib/redis-oidc-state-store';
export type { RedisOidcStateStoreOptions } from './lib/redis-oidc-state-store';
export { REPLAY_CACHE } from './lib/replay-cache';
export type { ReplayCache } from './lib/replay-cache';
export { MemoryReplayCache } from './lib/memory-replay-cache';
export type { MemoryReplayCacheOptions } from './lib/memory-replay-cache';
export { SqliteReplayCache } from './lib/sqlite-replay-cache';
export type { SqliteReplayCacheOptions } from './lib/sqlite-replay-cache';
export { RedisReplayCache } from './lib/redis-replay-cache';
export { connectRedis, isRedisCluster, pingRedis } from './lib/redis-connection';
export type { ConnectRedisOptions, RedisConnection } from './lib/redis-connection';
export { connectRedisCluster, parseRedisSeedUrls } from './lib/redis-cluster-connection';
export { CART_CHANGE_FEED } from './lib/cart-change-feed';
export type { CartChangeFeed, CartChangeListener } from './lib/cart-change-feed';
export { MemoryCartChangeFeed } from './lib/memory-cart-change-feed';
export { RedisCartChangeFeed } from './lib/redis-cart-change-feed';
export type { RedisCartChangeFeedOptions } from './lib/redis-cart-change-feed';
export { SqliteCartChangeFeed } from './lib/sqlite-cart-change-feed';
export type { SqliteCartChangeFeedOptions } from './lib/sqlite-cart-change-feed';
export { SHARED_STATE, openSharedState, provideSharedState } from './lib/shared-state';
export type {
  OpenSharedStateOptions,
  ProvideSharedStateOptions,
  SharedState,
} from './lib/shared-state';
