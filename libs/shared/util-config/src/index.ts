export { ConfigError, loadConfig, loadConfigOrExit } from './lib/load-config';
export { checkRedisCluster, env, isOrigin, isSecureContextOrigin } from './lib/env-fields';
export type { RateLimit } from './lib/env-fields';
