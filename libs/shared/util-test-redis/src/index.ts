export { findRedisServer, startRedisCluster } from './lib/redis-cluster';
export type { RedisTestCluster, StartRedisClusterOptions } from './lib/redis-cluster';
