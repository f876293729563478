export { ConfigError, loadConfig, loadConfigOrExit } from './lib/load-config';
export {
  checkLogFormat,
  checkRedisCluster,
  env,
  isLoopbackHost,
  isOrigin,
  isSecureContextOrigin,
} from './lib/env-fields';
export type { RateLimit } from './lib/env-fields';
export {
  deviceBindingFields,
  dpopFields,
  jwksFields,
  sharedStateFields,
} from './lib/service-fields';
export type { DpopConfig, JwksConfig, SharedStateConfig } from './lib/service-fields';
export { RELYING_PARTIES } from './lib/single-sign-on';
export type { RelyingParty } from './lib/single-sign-on';
export { checkSsoCookieSecret, DEV_SSO_COOKIE_SECRET, ssoFields } from './lib/sso-fields';
export type { SsoConfig } from './lib/sso-fields';
