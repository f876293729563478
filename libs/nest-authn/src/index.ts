export { AuthnKitModule } from './lib/authn-kit.module';
export type { AuthnKitOptions, BuiltInCredential, CredentialName } from './lib/authn-kit.options';
export { Authenticated } from './lib/authenticated.decorator';
export type { AuthenticatedOptions } from './lib/authenticated.decorator';
export { AuthenticatedGuard } from './lib/authenticated.guard';
export { AuthnProblemFilter } from './lib/authn-problem.filter';
export { openCredentialStores } from './lib/credential-stores';
export type { CredentialStores, OpenCredentialStoresOptions } from './lib/credential-stores';
export { CurrentIdentity, NOT_MINE } from '@svt/shared/feature-authn';
export type {
  Authenticator,
  AuthnResult,
  CredentialKind,
  Identity,
  LoginMethod,
  RejectionReason,
} from '@svt/shared/feature-authn';
export { DENYLIST, SESSION_STORE } from '@svt/shared/data-access-sessions';
export type { Denylist, SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
