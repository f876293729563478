export type { Authenticator, AuthnResult, RejectionReason } from './lib/authenticator';
export { NOT_MINE } from './lib/authenticator';
export type { AuthnOptions } from './lib/authn.options';
export { AUTHN_OPTIONS } from './lib/authn.options';
export {
  ACCESS_TOKEN_VERIFICATION,
  AUTH_JWKS,
  DEVICE_BINDING_REQUIRED,
  IDENTITY_TOKEN_VERIFICATION,
  SESSION_COOKIE_NAME,
} from './lib/authn.tokens';
export { AuthnGuard } from './lib/authn.guard';
export { AuthnPipeline } from './lib/authn-pipeline';
export { AuthnModule, TOKEN_OR_COOKIE, provideAccessTokenVerification } from './lib/authn.module';
export type { AuthnModuleOptions } from './lib/authn.module';
export { BearerAuthenticator, bearerToken } from './lib/authenticators/bearer.authenticator';
export { DpopAuthenticator } from './lib/authenticators/dpop.authenticator';
export { DpopProofChecker } from './lib/dpop/dpop-proof-checker';
export type { PresentedToken, ProofUse, ProvenKey } from './lib/dpop/dpop-proof-checker';
export { DPOP_OPTIONS, dpopOptions } from './lib/dpop/dpop.options';
export type { DpopOptions, DpopSettings } from './lib/dpop/dpop.options';
export {
  accessTokenHash,
  checkProof,
  DPOP_ALGORITHM,
  DPOP_PROOF_MAX_AGE_SECONDS,
  DPOP_PROOF_TYPE,
  publicP256Point,
} from './lib/dpop/dpop-proof';
export type { ProofRefusal } from './lib/dpop/dpop-proof';
export { DpopNonces } from './lib/dpop/dpop-nonces';
export {
  DEVICE_BOUND_AMR,
  IDENTITY_TOKEN_HEADER,
  IdentityTokenAuthenticator,
} from './lib/authenticators/identity-token.authenticator';
export {
  cachedJwtVerifier,
  JwtAuthenticator,
  unlessRevoked,
} from './lib/authenticators/jwt.authenticator';
export type { RevocationCheck, TokenExtractor } from './lib/authenticators/jwt.authenticator';
export { DeviceBoundSessionAuthenticator } from './lib/authenticators/device-bound-session.authenticator';
export {
  boundCookieName,
  provideSessionCookieName,
  SessionCookieAuthenticator,
  sessionCookieName,
  touchIntervalMs,
} from './lib/authenticators/session-cookie.authenticator';
export { SessionCookie } from './lib/session-cookie';
export { UnclaimedAuthorizationAuthenticator } from './lib/authenticators/unclaimed-authorization.authenticator';
export {
  assertCsrfSafe,
  assertSameSiteRequest,
  CSRF_HEADER,
  SameSiteRequestGuard,
} from './lib/csrf';
export { CurrentIdentity } from './lib/current-identity.decorator';
export type { CredentialKind, Identity, LoginMethod } from './lib/identity';
export { assuranceLevel } from './lib/identity';
export {
  ACCESS_TOKEN_TYPE,
  checkHeader,
  CLOCK_TOLERANCE_SECONDS,
  IDENTITY_TOKEN_TYPE,
  MAX_TOKEN_LENGTH,
} from './lib/verification/jwt-verification';
export type { JwtVerification, TokenClaims } from './lib/verification/jwt-verification';
export { identityFromClaims, PassportJwtVerifier } from './lib/verification/passport-jwt.verifier';
export type { ClaimsToIdentity } from './lib/verification/passport-jwt.verifier';
export type { TokenVerifier, VerifiedToken } from './lib/verification/token-verifier';
export { importJwks, RemoteJwks } from './lib/verification/key-source';
export type { KeySource, PublicJwk, RemoteJwksOptions } from './lib/verification/key-source';
export { IS_PUBLIC, Public } from '@svt/shared/util-http';
export { describeCredentials } from './lib/credentials-echo';
export type { ArrivedCredentials } from './lib/credentials-echo';
export { credentialsEchoController } from './lib/credentials-echo.controller';
export type { CredentialsEchoOptions } from './lib/credentials-echo.controller';
export type { ArrivedCookieExample } from './lib/credentials-echo.dto';
export { JwkDto, JwksDto } from './lib/verification/jwks.dto';
export { VerifiedTokenCache } from './lib/verification/verified-token-cache';
export type { VerifiedTokenCacheOptions } from './lib/verification/verified-token-cache';
