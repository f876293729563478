import { Inject, Injectable } from '@nestjs/common';
import type { RateLimitStore } from '@svt/shared/data-access-sessions';
import { RATE_LIMIT_STORE } from '@svt/shared/data-access-sessions';
import type { RateLimit } from '@svt/shared/util-config';
import { AppError, failClosed } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK, sha256Hex } from '@svt/shared/util-security';
import type { AuthConfig } from './auth.config';
import { AUTH_CONFIG } from './auth.tokens';
import { AuditLog } from './audit-log';

const STORE = 'rate-limit store';

/** What is limited, and by what: a client address, an account, an email. */
export type LimitedAction =
  | 'login-ip'
  | 'register-ip'
  | 'register-email'
  | 'refresh-ip'
  | 'refresh-account';

/**
 * Brute-force and enumeration defences (OWASP Authentication Cheat Sheet,
 * ASVS 5.0 §6.3): fixed-window limits per client address and per account, and
 * a progressive per-account back-off after failed logins. Counters live in
 * the shared store, so every replica enforces the same limits.
 *
 * The back-off is keyed by the email as typed (normalised), whether or not an
 * account has it, and answers like any other limit: a 429 reveals neither
 * that the account exists nor that it is "locked". Emails are hashed in keys.
 */
@Injectable()
export class ThrottleService {
  private readonly limits: Readonly<Record<LimitedAction, RateLimit>>;

  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly audit: AuditLog,
  ) {
    this.limits = {
      'login-ip': config.RATE_LIMIT_LOGIN_IP,
      'register-ip': config.RATE_LIMIT_REGISTER_IP,
      'register-email': config.RATE_LIMIT_REGISTER_EMAIL,
      'refresh-ip': config.RATE_LIMIT_REFRESH_IP,
      'refresh-account': config.RATE_LIMIT_REFRESH_ACCOUNT,
    };
  }

  /** Counts one request against `action`'s limit for `subject`; 429 once over it. */
  async limit(action: LimitedAction, subject: string): Promise<void> {
    const { count, windowMs } = this.limits[action];
    const window = await failClosed(
      this.store.hit(`${action}:${subjectKey(action, subject)}`, windowMs),
      STORE,
    );
    if (window.count > count) {
      // Logged once per window, not on every refused request.
      if (window.count === count + 1) this.audit.record('rate_limit.exceeded', { action });
      throw this.tooMany(window.resetAt);
    }
  }

  /** 429 while the email is in back-off, before any password is hashed. */
  async assertNotBackedOff(email: string): Promise<void> {
    const blocked = await failClosed(this.store.peek(`login-blocked:${sha256Hex(email)}`), STORE);
    if (blocked) throw this.tooMany(blocked.resetAt);
  }

  /**
   * Counts a failed password check for `email`. From the LOGIN_BACKOFF_AFTER-th
   * failure in a window on, each one blocks the email for twice as long as the
   * last (1 s, 2 s, 4 s … up to LOGIN_BACKOFF_MAX): slow for a guesser, short
   * for its owner, and never a hard lock an attacker could impose for good.
   */
  async recordFailure(email: string, fields: { ip: string | null }): Promise<void> {
    const key = sha256Hex(email);
    const failures = await failClosed(
      this.store.hit(`login-failures:${key}`, this.config.LOGIN_FAILURE_WINDOW * 1000),
      STORE,
    );
    const beyond = failures.count - this.config.LOGIN_BACKOFF_AFTER;
    if (beyond < 0) return;
    const seconds = Math.min(2 ** beyond, this.config.LOGIN_BACKOFF_MAX);
    await failClosed(this.store.hit(`login-blocked:${key}`, seconds * 1000), STORE);
    this.audit.record('login.backoff_engaged', {
      account: key.slice(0, 16),
      failures: failures.count,
      seconds,
      ip: fields.ip,
    });
  }

  /** A correct password forgets the failures. */
  async recordSuccess(email: string): Promise<void> {
    await failClosed(this.store.reset(`login-failures:${sha256Hex(email)}`), STORE);
  }

  private tooMany(resetAt: number): AppError {
    // RFC 9110 §10.2.3: delay-seconds, at least 1 so a client never spins.
    const seconds = Math.max(1, Math.ceil((resetAt - this.clock.now()) / 1000));
    return new AppError('rate_limited', 'Too many attempts. Try again later.', {
      headers: { 'retry-after': String(seconds) },
    });
  }
}

/** Emails never reach the counter store in the clear. */
function subjectKey(action: LimitedAction, subject: string): string {
  return action === 'register-email' ? sha256Hex(subject) : subject;
}
