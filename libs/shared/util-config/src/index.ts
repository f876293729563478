export { ConfigError, loadConfig, loadConfigOrExit } from './lib/load-config';
export { env, isOrigin, isSecureContextOrigin } from './lib/env-fields';
export type { RateLimit } from './lib/env-fields';
