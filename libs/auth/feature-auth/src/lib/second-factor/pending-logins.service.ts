import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type {
  PendingLoginKind,
  PendingLoginRepository,
  User,
  UserRepository,
} from '@svt/auth/data-access';
import { PENDING_LOGIN_REPOSITORY, USER_REPOSITORY } from '@svt/auth/data-access';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, randomSecret, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AuditLog } from '../shared/audit-log';
import type { ClientInfo } from '../shared/request-context';
import { ThrottleService } from '../shared/throttle.service';
import { invalidOtp, SecondFactorService } from './second-factor.service';

/** The factors a pending login may be finished with, as `second_factor_required` lists them. */
export const SECOND_FACTORS = ['totp', 'recovery_code'] as const;

/** The authentication methods (RFC 8176) of a login finished with a second factor. */
export const TWO_FACTOR_AMR: readonly string[] = ['pwd', 'otp'];

/** A login whose second factor was proved: who, and when. */
export interface FinishedLogin {
  readonly user: User;
  readonly amr: readonly string[];
  readonly authTime: number;
}

/**
 * The two-step login. When the password of a user with a second factor is
 * right, nothing is issued: the answer is `second_factor_required` with a
 * pending-login handle (256 random bits, stored hashed) that the same login
 * route's `second-factor` sibling redeems with a code, once, within
 * PENDING_LOGIN_TTL, before OTP_ATTEMPTS wrong codes, and only while the
 * password is still the one checked.
 */
@Injectable()
export class PendingLoginsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PendingLoginsService.name);
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    @Inject(PENDING_LOGIN_REPOSITORY) private readonly pending: PendingLoginRepository,
    @Inject(USER_REPOSITORY) private readonly users: UserRepository,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly factors: SecondFactorService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Called once the password matched: null when the user has no second
   * factor; otherwise a new pending login of `kind` and its handle.
   * `dpopJkt`: the DPoP key the first step proved, which the second must
   * prove again.
   */
  async begin(
    user: Pick<User, 'id' | 'credentialVersion'>,
    kind: PendingLoginKind,
    dpopJkt: string | null,
    client: ClientInfo,
  ): Promise<{ readonly handle: string; readonly expiresAt: number } | null> {
    if (!(await this.factors.isEnabled(user.id))) return null;
    const handle = randomSecret();
    const now = this.clock.now();
    const expiresAt = now + this.config.PENDING_LOGIN_TTL * 1000;
    await this.pending.create({
      handleHash: sha256Hex(handle),
      userId: user.id,
      kind,
      createdAt: now,
      expiresAt,
      credentialVersion: user.credentialVersion,
      dpopJkt,
    });
    this.audit.record('login.second_factor_required', { userId: user.id, kind, ip: client.ip });
    return { handle, expiresAt };
  }

  /**
   * `begin`, for the JSON login routes: returns when the user has no second
   * factor, else throws `second_factor_required` carrying the handle.
   */
  async requireSecondFactor(
    user: Pick<User, 'id' | 'credentialVersion'>,
    kind: PendingLoginKind,
    dpopJkt: string | null,
    client: ClientInfo,
  ): Promise<void> {
    const pending = await this.begin(user, kind, dpopJkt, client);
    if (!pending) return;
    throw new AppError(
      'second_factor_required',
      'The password is right; send a code from the authenticator app (or a recovery code) with pendingLogin to finish.',
      {
        extensions: {
          pendingLogin: pending.handle,
          expiresAt: new Date(pending.expiresAt).toISOString(),
          factors: [...SECOND_FACTORS],
        },
      },
    );
  }

  /**
   * Redeems a pending login of `kind` with a code. A wrong code is 400
   * `invalid_otp` and counts (per handle and, with back-off, per account);
   * anything wrong with the handle is 401 `invalid_pending_login`.
   */
  async finish(
    handle: string,
    kind: PendingLoginKind,
    code: string,
    dpopJkt: string | null,
    client: ClientInfo,
  ): Promise<FinishedLogin> {
    await this.throttle.limit('login-ip', client.ip);
    const handleHash = sha256Hex(handle);
    const login = await this.pending.findLive(handleHash, kind, this.clock.now());
    if (!login) throw invalidPendingLogin();
    // RFC 9449: the tokens go to the key that started the login, or to none.
    if (login.dpopJkt !== dpopJkt) {
      throw invalidPendingLogin('The second step must prove the same DPoP key as the first.');
    }
    const user = await this.users.findById(login.userId);
    // A password change since the first step voids it.
    if (!user || user.credentialVersion !== login.credentialVersion) throw invalidPendingLogin();

    const check = await this.throttle.beginSecondFactorCheck(user.id);
    const method = await this.factors.verify(user.id, code);
    if (method === null) {
      const failures = await this.pending.recordFailure(
        handleHash,
        this.config.OTP_ATTEMPTS,
        this.clock.now(),
      );
      this.audit.record('login.second_factor_failed', {
        userId: user.id,
        kind,
        failures,
        ip: client.ip,
      });
      this.throttle.passwordFailed(check, { ip: client.ip });
      if (failures === null) throw invalidPendingLogin();
      throw invalidOtp();
    }
    const now = this.clock.now();
    if (!(await this.pending.consume(handleHash, kind, now))) throw invalidPendingLogin();
    await this.throttle.passwordMatched(check);
    return { user, amr: TWO_FACTOR_AMR, authTime: now };
  }

  /** Expired pending logins are deleted every minute (housekeeping; they are refused anyway). */
  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.pending
        .deleteExpiredBefore(this.clock.now())
        .catch((error: unknown) =>
          this.logger.warn(`Deleting expired pending logins failed: ${(error as Error).message}`),
        );
    }, 60_000);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }
}

function invalidPendingLogin(
  detail = 'The login is unknown, expired, used or voided; start again with the password.',
): AppError {
  return new AppError('invalid_pending_login', detail);
}
