import type { Logger } from 'pino';

/**
 * Security events, with names that are stable: alerting and dashboards match
 * on them (OWASP Logging Cheat Sheet; ASVS 5.0 §16.3). None carries a secret:
 * no password, token, cookie value or CSRF token; emails appear only hashed.
 */
export type SecurityEvent =
  | 'registration.succeeded'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.backoff_engaged'
  | 'login.csrf_refused'
  | 'sso.session_ended'
  | 'rate_limit.exceeded'
  | 'refresh_token.retried'
  | 'refresh_token.reused'
  | 'refresh_token.wrong_key'
  | 'logout'
  | 'logout_all'
  | 'session.revoked'
  | 'session.device_bound'
  | 'session.device_proof_refused'
  | 'password.changed'
  | 'password.change_failed'
  | 'password.reset_requested'
  | 'password.reset'
  | 'password.reset_failed'
  | 'email.verification_sent'
  | 'email.verified'
  | 'signing_key.rotated'
  | 'signing_key.revoked'
  | 'mail.failed'
  | 'totp.enrolment_started'
  | 'totp.enabled'
  | 'totp.disabled'
  | 'login.second_factor_required'
  | 'login.second_factor_failed'
  | 'recovery_code.used'
  | 'step_up.required';

/** What an event may carry: ids, handles, addresses, counts. */
export type AuditFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

const WARNINGS: ReadonlySet<SecurityEvent> = new Set([
  'login.failed',
  'login.backoff_engaged',
  'login.csrf_refused',
  'rate_limit.exceeded',
  'refresh_token.retried',
  'refresh_token.reused',
  'refresh_token.wrong_key',
  'session.device_proof_refused',
  'password.change_failed',
  'password.reset_failed',
  'signing_key.revoked',
  'mail.failed',
  'totp.disabled',
  'login.second_factor_failed',
]);

/**
 * Writes one line per security event through the process's logger, so in
 * the format of every other line (`"level":"warn"`, an ISO `time`), marked
 * `"logger":"audit"` for a log pipeline to collect. Every event is written
 * whatever the logger's level: alerting depends on them.
 */
export class AuditLog {
  private readonly logger: Logger;

  constructor(logger: Logger) {
    this.logger = logger.child({ logger: 'audit' }, { level: 'info' });
  }

  record(event: SecurityEvent, fields: AuditFields = {}): void {
    this.logger[WARNINGS.has(event) ? 'warn' : 'info']({ event, ...fields });
  }
}
