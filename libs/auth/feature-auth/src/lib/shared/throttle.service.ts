import { Inject, Injectable } from '@nestjs/common';
import type { BackoffPolicy, RateLimitStore } from '@svt/shared/data-access-sessions';
import { RATE_LIMIT_STORE } from '@svt/shared/data-access-sessions';
import type { RateLimit } from '@svt/shared/util-config';
import { AppError } from '@svt/shared/util-errors';
import { failClosed, rateLimited } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { AuthConfig } from '../auth.config';
import { AUTH_CONFIG } from '../auth.tokens';
import { AuditLog } from './audit-log';
import { addressKey } from './client-address';
import { ServerKeys } from './server-keys';

const STORE = 'rate-limit store';

/** What is limited, and by what: a client address, an account, an email. */
export type LimitedAction =
  | 'login-ip'
  | 'register-ip'
  | 'register-email'
  | 'refresh-ip'
  | 'refresh-account'
  | 'forgot-ip'
  | 'forgot-email'
  | 'reset-ip'
  | 'reset-account'
  | 'verify-account';

/** How each action's subject becomes its counter's key. */
const SUBJECTS: Readonly<Record<LimitedAction, 'address' | 'email' | 'user'>> = {
  'login-ip': 'address',
  'register-ip': 'address',
  'register-email': 'email',
  'refresh-ip': 'address',
  'refresh-account': 'user',
  'forgot-ip': 'address',
  'forgot-email': 'email',
  'reset-ip': 'address',
  'reset-account': 'user',
  'verify-account': 'user',
};

/**
 * Who is guessing a password, which decides whose attempts it counts with:
 * - `email`: anyone, on the account that the email names (or would name);
 * - `device`: a browser holding the account's device cookie, on its own;
 * - `session`: an authenticated caller (a password change), on its session.
 */
export type Guesser =
  | { readonly email: string }
  | { readonly device: string; readonly email: string }
  | { readonly session: string };

/** A password check reserved by `beginPasswordCheck`, to settle with `passwordMatched` or `passwordFailed`. */
export interface PasswordCheck {
  readonly key: string;
  readonly guesser: Guesser;
  readonly number: number;
  readonly blockMs: number;
}

/**
 * Brute-force and enumeration defences (OWASP Authentication Cheat Sheet,
 * ASVS 5.0 §6.3): fixed-window limits per client address and per account, and
 * a progressive back-off on password checks. Counters live in the shared
 * store, so every replica enforces the same limits.
 *
 * The account back-off is keyed by the email as typed (normalised), whether
 * or not an account has it, and answers like any other limit: a 429 reveals
 * neither that the account exists nor that it is "locked". Emails appear in
 * keys only as pseudonyms (`ServerKeys`).
 */
@Injectable()
export class ThrottleService {
  private readonly limits: Readonly<Record<LimitedAction, RateLimit>>;
  private readonly accountPolicy: BackoffPolicy;
  private readonly provenPolicy: BackoffPolicy;

  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(AUTH_CONFIG) config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditLog,
    private readonly keys: ServerKeys,
  ) {
    this.limits = {
      'login-ip': config.RATE_LIMIT_LOGIN_IP,
      'register-ip': config.RATE_LIMIT_REGISTER_IP,
      'register-email': config.RATE_LIMIT_REGISTER_EMAIL,
      'refresh-ip': config.RATE_LIMIT_REFRESH_IP,
      'refresh-account': config.RATE_LIMIT_REFRESH_ACCOUNT,
      'forgot-ip': config.RATE_LIMIT_FORGOT_IP,
      'forgot-email': config.RATE_LIMIT_FORGOT_EMAIL,
      'reset-ip': config.RATE_LIMIT_RESET_IP,
      'reset-account': config.RATE_LIMIT_RESET_ACCOUNT,
      'verify-account': config.RATE_LIMIT_VERIFY_ACCOUNT,
    };
    const policy = (blockFrom: number): BackoffPolicy => ({
      windowMs: config.LOGIN_FAILURE_WINDOW * 1000,
      blockFrom,
      firstBlockMs: 1000,
      maxBlockMs: config.LOGIN_BACKOFF_MAX * 1000,
    });
    this.accountPolicy = policy(config.LOGIN_BACKOFF_AFTER);
    this.provenPolicy = policy(config.LOGIN_DEVICE_BACKOFF_AFTER);
  }

  /**
   * Counts one request against `action`'s limit for `subject` (a client
   * address, an email or a user id); 429 once over it. Addresses are counted
   * by `addressKey`: IPv6 by its /64.
   */
  async limit(action: LimitedAction, subject: string | null): Promise<void> {
    const { count, windowMs } = this.limits[action];
    const kind = SUBJECTS[action];
    const key =
      kind === 'address'
        ? addressKey(subject)
        : kind === 'email'
          ? this.keys.pseudonym(subject ?? '')
          : subject;
    const window = await failClosed(this.store.hit(`${action}:${key}`, windowMs), STORE);
    if (window.count > count) {
      // Logged once per window, not on every refused request.
      if (window.count === count + 1) this.audit.record('rate_limit.exceeded', { action });
      throw this.tooMany(window.resetAt);
    }
  }

  /**
   * Reserves one password check for `guesser` before any hashing, counting
   * it as a failure in advance: parallel guesses get no more checks than
   * sequential ones. 429 while the guesser's key is blocked. From the
   * LOGIN_BACKOFF_AFTER-th attempt in a window on (LOGIN_DEVICE_BACKOFF_AFTER
   * for a proven device or session), each one blocks the key for twice as
   * long as the last (1 s, 2 s, 4 s … up to LOGIN_BACKOFF_MAX): slow for a
   * guesser, short for its owner, and never a hard lock.
   */
  async beginPasswordCheck(guesser: Guesser): Promise<PasswordCheck> {
    const [key, policy] =
      'session' in guesser
        ? [`password-session:${guesser.session}`, this.provenPolicy]
        : 'device' in guesser
          ? [`password-device:${guesser.device}`, this.provenPolicy]
          : [`password-account:${this.keys.pseudonym(guesser.email)}`, this.accountPolicy];
    const attempt = await failClosed(this.store.attempt(key, policy), STORE);
    if (!attempt.allowed) throw this.tooMany(attempt.retryAt);
    return { key, guesser, number: attempt.number, blockMs: attempt.blockMs };
  }

  /**
   * One password login under the attempt policy, whichever page or route it
   * comes from: the client's address limited, a check reserved for the
   * account (or for the device proven by its cookie) before any hashing,
   * then `check`. An `invalid_credentials` from it is audited and stays
   * counted; a success forgives the reserved attempt. Resolves to what
   * `check` resolved.
   */
  async passwordLogin<T>(
    attempt: { readonly email: string; readonly ip: string | null; readonly device: string | null },
    check: () => Promise<T>,
  ): Promise<T> {
    const { email, ip, device } = attempt;
    await this.limit('login-ip', ip);
    const reserved = await this.beginPasswordCheck(device ? { device, email } : { email });
    let result: T;
    try {
      result = await check();
    } catch (error) {
      if (error instanceof AppError && error.code === 'invalid_credentials') {
        this.audit.record('login.failed', {
          account: this.keys.auditAccount(email),
          device: device !== null,
          ip,
        });
        this.passwordFailed(reserved, { ip });
      }
      throw error;
    }
    await this.passwordMatched(reserved);
    return result;
  }

  /**
   * Reserves one second-factor check for the account, like a password check
   * (counted as a failure in advance, progressive back-off, 429 while
   * blocked): guessing six digits through many pending logins is slowed per
   * account, not only per handle. Settle with `passwordMatched` on success.
   */
  async beginSecondFactorCheck(userId: string): Promise<PasswordCheck> {
    const key = `otp-account:${userId}`;
    const attempt = await failClosed(this.store.attempt(key, this.accountPolicy), STORE);
    if (!attempt.allowed) throw this.tooMany(attempt.retryAt);
    return { key, guesser: { session: userId }, number: attempt.number, blockMs: attempt.blockMs };
  }

  /** The password was right: the reserved failure, and any before it, are forgotten. */
  async passwordMatched(check: PasswordCheck): Promise<void> {
    await failClosed(this.store.forgive(check.key), STORE);
  }

  /** The password was wrong: it stays counted; the audit log hears when it blocked the key. */
  passwordFailed(check: PasswordCheck, fields: { ip: string | null }): void {
    if (check.blockMs === 0) return;
    const { guesser } = check;
    this.audit.record('login.backoff_engaged', {
      ...('session' in guesser
        ? { sessionId: guesser.session }
        : { account: this.keys.auditAccount(guesser.email), device: 'device' in guesser }),
      failures: check.number,
      seconds: Math.ceil(check.blockMs / 1000),
      ip: fields.ip,
    });
  }

  private tooMany(resetAt: number): AppError {
    return rateLimited(resetAt, this.clock.now(), 'Too many attempts. Try again later.');
  }
}
