/** The options given to `AuthnKitModule.forRoot`, checked and frozen. */
export const AUTHN_KIT_OPTIONS = Symbol.for('nest-authn.Options');

/** The open `CredentialStores` (sessions, revocations, DPoP replays); closed on shutdown. */
export const CREDENTIAL_STORES = Symbol.for('nest-authn.CredentialStores');

/** The authenticators by the names routes accept them under (`ReadonlyMap<string, Authenticator>`). */
export const AUTHENTICATORS_BY_NAME = Symbol.for('nest-authn.AuthenticatorsByName');

/** The metadata key `@Authenticated()` writes its accept list under. */
export const ACCEPTED_CREDENTIALS = 'nest-authn:accept';
