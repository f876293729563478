export type { Authenticator, AuthnResult, RejectionReason } from './lib/authenticator';
export type { AuthenticatorKind, AuthnOptions } from './lib/authn.options';
export { AUTHN_OPTIONS } from './lib/authn.options';
export { AUTH_JWKS } from './lib/authn.tokens';
export { AuthnGuard } from './lib/authn.guard';
export { AuthnModule } from './lib/authn.module';
export {
  BearerAuthenticator,
  IdentityTokenAuthenticator,
  SessionCookieAuthenticator,
  sessionCookieName,
  touchIntervalMs,
} from './lib/authenticators';
export {
  assertCsrfSafe,
  assertSameSiteRequest,
  CSRF_HEADER,
  SameSiteRequestGuard,
} from './lib/csrf';
export { CurrentIdentity } from './lib/current-identity.decorator';
export type { CredentialKind, Identity, LoginMethod } from './lib/identity';
export {
  ACCESS_TOKEN_TYPE,
  checkHeader,
  CLOCK_TOLERANCE_SECONDS,
  IDENTITY_TOKEN_TYPE,
  MAX_TOKEN_LENGTH,
} from './lib/jwt-verification';
export type { JwtVerification, TokenClaims } from './lib/jwt-verification';
export {
  AccessTokenStrategy,
  IDENTITY_TOKEN_HEADER,
  IdentityTokenStrategy,
} from './lib/jwt.strategies';
export { importJwks, RemoteJwks } from './lib/key-source';
export type { KeySource, PublicJwk, RemoteJwksOptions } from './lib/key-source';
export { IS_PUBLIC, Public } from '@svt/shared/util-http';
export { describeCredentials } from './lib/credentials-echo';
export type { ArrivedCredentials } from './lib/credentials-echo';
export { credentialsEchoController } from './lib/credentials-echo.controller';
export type { CredentialsEchoOptions } from './lib/credentials-echo.controller';
export type { ArrivedCookieExample } from './lib/credentials-echo.dto';
export { JwkDto, JwksDto } from './lib/jwks.dto';
export { VerifiedTokenCache } from './lib/verified-token-cache';
export type { VerifiedTokenCacheOptions } from './lib/verified-token-cache';
