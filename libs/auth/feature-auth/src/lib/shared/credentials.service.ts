import { randomUUID } from 'node:crypto';
import type { OnModuleInit } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { User, UserRepository } from '@svt/auth/data-access';
import { USER_REPOSITORY } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { normaliseEmail } from './email';
import type { PasswordHasher } from './password-hasher';
import { PASSWORD_HASHER } from './password-hasher';

/** Registration and the password check behind both login flows. */
@Injectable()
export class CredentialsService implements OnModuleInit {
  /** Verified when the email is unknown, so both failures cost one hash (no timing oracle). */
  private decoyHash = '';

  constructor(
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(PASSWORD_HASHER) private readonly hasher: PasswordHasher,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AUTH_CONFIG) private readonly config: Pick<AuthConfig, 'REQUIRE_VERIFIED_EMAIL'>,
  ) {}

  async onModuleInit(): Promise<void> {
    this.decoyHash = await this.hasher.hash(randomSecret());
  }

  async register(email: string, password: string): Promise<User> {
    const user: User = {
      id: randomUUID(),
      email: normaliseEmail(email),
      passwordHash: await this.hasher.hash(password),
      createdAt: this.clock.now(),
      credentialVersion: 0,
      emailVerifiedAt: null,
    };
    if ((await this.users.create(user)) === 'email_taken') {
      throw new AppError('email_taken', 'An account with this email already exists.');
    }
    return user;
  }

  /** The user when the password matches; `null` for any failure, whatever its cause. */
  async verify(email: string, password: string): Promise<User | null> {
    const user = await this.users.findByEmail(normaliseEmail(email));
    const matches = await this.hasher.verify(user?.passwordHash ?? this.decoyHash, password);
    return user && matches ? user : null;
  }

  /**
   * With REQUIRE_VERIFIED_EMAIL, refuses a login by a user whose address is
   * not verified. Called only once the password matched, so the refusal
   * tells nothing to someone who does not know the password.
   */
  assertMayLogIn(user: Pick<User, 'emailVerifiedAt'>): void {
    if (this.config.REQUIRE_VERIFIED_EMAIL && user.emailVerifiedAt === null) {
      throw new AppError(
        'email_not_verified',
        'Verify your e-mail address first: open the link in the mail sent at registration, or ask for a new one.',
      );
    }
  }

  /** Whether `password` is the user's (a password change re-checks it). */
  checkPassword(user: User, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  /**
   * Replaces the password and bumps the user's credential version: sessions
   * and token families of older versions are stale from now on. Resolves to
   * the new version, for `SignOutService.afterPasswordChange`.
   */
  async setPassword(userId: string, password: string): Promise<number> {
    const hash = await this.hasher.hash(password);
    const version = await this.users.updatePasswordHash(userId, hash);
    if (version === null) throw new AppError('unauthenticated', 'The account no longer exists.');
    return version;
  }

  /**
   * Refuses a login whose password check read the user before a password
   * change that has committed since: called once its session or token family
   * is written, so that a change either sees that credential when it ends
   * every session, or is seen here (the login then undoes its write).
   */
  async assertStillCurrent(user: Pick<User, 'id' | 'credentialVersion'>): Promise<void> {
    if ((await this.users.credentialVersion(user.id)) !== user.credentialVersion) {
      throw new AppError('invalid_credentials', 'The email or password is incorrect.');
    }
  }

  /** The user an authenticated request names; 401 when the account is gone since. */
  async authenticatedUser(id: string): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw new AppError('unauthenticated', 'The account no longer exists.');
    return user;
  }
}
