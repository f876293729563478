export { authMigrations } from './lib/migrations';
export { SqlUserRepository, USER_REPOSITORY } from './lib/users.repository';
export type { PendingRevocation, User, UserRepository } from './lib/users.repository';
export {
  REFRESH_TOKEN_REPOSITORY,
  SqlRefreshTokenRepository,
} from './lib/refresh-tokens.repository';
export type {
  NewRefreshToken,
  NextRefreshToken,
  RefreshTokenRepository,
  RotationOutcome,
  TokenFamily,
} from './lib/refresh-tokens.repository';
export { SIGNING_KEY_REPOSITORY, SqlSigningKeyRepository } from './lib/signing-keys.repository';
export type { SigningKeyRecord, SigningKeyRepository } from './lib/signing-keys.repository';
export {
  ACCOUNT_TOKEN_REPOSITORY,
  SqlAccountTokenRepository,
} from './lib/account-tokens.repository';
export type {
  AccountToken,
  AccountTokenPurpose,
  AccountTokenRepository,
} from './lib/account-tokens.repository';
