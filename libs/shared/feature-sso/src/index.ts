export { SsoModule, ssoClientKeyFile } from './lib/sso.module';
export { SSO_CLIENT_KEY, SSO_OPTIONS, ssoOptions } from './lib/sso.options';
export type { SsoOptions, SsoServiceConfig } from './lib/sso.options';
export { ssoController } from './lib/sso.controller';
export { acceptFormsOn, formFields } from './lib/form-body';
export { ssoFormPaths } from './lib/sso-form-paths';
export { FLOW_LIFETIME_SECONDS, FlowCookie } from './lib/flow-cookie';
export type { SsoFlow } from './lib/flow-cookie';
export { safeReturnTo, withSsoMarker } from './lib/return-to';
export { SIGNED_OUT_MARKER, SsoLoginService } from './lib/sso-login.service';
export type { SsoLanding } from './lib/sso-login.service';
export { SsoClient } from './lib/sso-client';
export type { SsoCallbackResult, SsoClientOptions } from './lib/sso-client';
export { SsoSessionsService } from './lib/sso-sessions.service';
export type { SsoClientInfo } from './lib/sso-sessions.service';
export { BackchannelLogoutService } from './lib/backchannel-logout.service';
export {
  BACKCHANNEL_LOGOUT_EVENT,
  checkLogoutClaims,
  LogoutTokenVerifier,
} from './lib/logout-token';
export type {
  LogoutClaims,
  LogoutTokenCheck,
  LogoutTokenExpectations,
  LogoutTokenRefusal,
} from './lib/logout-token';
export { LogoutReplayCache } from './lib/logout-replay';
export { internalFetch } from './lib/internal-fetch';
export type { FetchLike } from './lib/internal-fetch';
