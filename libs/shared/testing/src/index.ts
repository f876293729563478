export {
  expectBearerChallenge,
  expectDpopChallenge,
  expectProblem,
  expectStatus,
} from './lib/assertions';
export { deleteRedisKeys } from './lib/backing-stores';
export * from './lib/contract';
export { CookieJar } from './lib/cookie-jar';
export {
  CHALLENGE_HEADER,
  DbscSession,
  REGISTRATION_HEADER,
  RESPONSE_HEADER,
  SESSION_ID_HEADER,
  challengeOf,
  dbscPrivateJwk,
  dbscProof,
  generateDbscKey,
  loginWithDbsc,
  parseChallengeHeader,
  parseRegistrationHeader,
  registrationOffer,
  resolvePath,
} from './lib/dbsc-client';
export type {
  DbscAlgorithm,
  DbscChallenge,
  DbscInstructionsBody,
  DbscKey,
  DbscLogin,
  DbscProofSpec,
  DbscRegistrationOffer,
  DbscRequestOptions,
} from './lib/dbsc-client';
export { startFaultProxy } from './lib/fault-proxy';
export type { FaultMode, FaultProxy, FaultProxyTarget } from './lib/fault-proxy';
export {
  csrfHeaders,
  loginWithSession,
  loginWithToken,
  newCredentials,
  putCartItem,
  registerUser,
  signUp,
} from './lib/flows';
export type {
  Credentials,
  RegisteredUser,
  SessionLogin,
  SignedUpUser,
  TokenLogin,
} from './lib/flows';
export {
  accessTokenHash,
  craftDpopProof,
  dpopHeaders,
  dpopProof,
  dpopRequest,
  dpopRequestWithNonce,
  generateDpopKey,
  htuOf,
  loginWithDpop,
  privateJwk,
  refreshWithDpop,
} from './lib/dpop-proof';
export type {
  CraftedDpopProof,
  DpopAlgorithm,
  DpopKey,
  DpopProofClaims,
  DpopRequest,
} from './lib/dpop-proof';
export { describeResponse, http } from './lib/http-client';
export type {
  HttpClient,
  HttpResponse,
  JsonObject,
  RequestOptions,
  RequestSpec,
  ServiceAddress,
} from './lib/http-client';
export { decodeJwt, epochSeconds, generateEs256Key, signEs256Jwt } from './lib/jwt';
export type { DecodedJwt, TestSigningKey } from './lib/jwt';
export { fragmentToken, mailCatcherClient } from './lib/mail-catcher-client';
export type { CaughtMail, MailCatcherClient } from './lib/mail-catcher-client';
export { randomHex, strongPassword, uniqueEmail } from './lib/random';
export type { MeteredService, Service } from './lib/service-process';
export {
  cookieExpiresAt,
  isClearingCookie,
  parseSetCookie,
  parseSetCookies,
} from './lib/set-cookie';
export type { SetCookie } from './lib/set-cookie';
export { pollUntil } from './lib/poll';
export { SfToken, parseSfItem, parseSfList, sfString } from './lib/structured-field';
export type { BareItem, SfInnerList, SfItem, SfMember } from './lib/structured-field';
export * from '@svt/shared/util-test-redis';
export * from './lib/start-replicated-system';
export { startSystem } from './lib/start-system';
export type {
  CommandResult,
  ServiceName,
  StartSystemOptions,
  SystemUnderTest,
} from './lib/start-system';
export { readTestEnvironment, resolveBackend } from './lib/test-environment';
export { startTraffic } from './lib/traffic';
export type { Traffic, TrafficReport, TrafficRequest } from './lib/traffic';
export type { Backend, TestEnvironment } from './lib/test-environment';
export { findFreePorts } from './lib/free-port';
export { findWorkspaceRoot } from './lib/workspace-root';
export { ScriptedBrowser, loginFormToken } from './lib/scripted-browser';
export type { Hop, NavigateOptions, Navigation } from './lib/scripted-browser';
export {
  authorizationUrl,
  clientAssertion,
  pkcePair,
  redeemCode,
  ssoClientKeyFile,
  testRelyingParty,
} from './lib/oidc-client';
export type { TestRelyingParty } from './lib/oidc-client';
export { HandshakeRefused, openLiveCart, refusedLiveCart } from './lib/live-cart-client';
export type {
  LiveCart,
  LiveCartClose,
  LiveCartOptions,
  LiveCartTarget,
} from './lib/live-cart-client';
