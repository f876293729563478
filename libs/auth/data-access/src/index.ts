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
export { SqlTotpFactorRepository, TOTP_FACTOR_REPOSITORY } from './lib/totp-factors.repository';
export type { TotpFactor, TotpFactorRepository } from './lib/totp-factors.repository';
export {
  RECOVERY_CODE_REPOSITORY,
  SqlRecoveryCodeRepository,
} from './lib/recovery-codes.repository';
export type { RecoveryCodeRepository } from './lib/recovery-codes.repository';
export {
  PENDING_LOGIN_REPOSITORY,
  SqlPendingLoginRepository,
} from './lib/pending-logins.repository';
export type {
  PendingLogin,
  PendingLoginKind,
  PendingLoginRepository,
} from './lib/pending-logins.repository';
