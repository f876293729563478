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
  | 'rate_limit.exceeded'
  | 'refresh_token.retried'
  | 'refresh_token.reused'
  | 'logout'
  | 'logout_all'
  | 'session.revoked'
  | 'password.changed'
  | 'password.change_failed'
  | 'signing_key.rotated'
  | 'signing_key.revoked';

/** What an event may carry: ids, handles, addresses, counts. */
export type AuditFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

const WARNINGS: ReadonlySet<SecurityEvent> = new Set([
  'login.failed',
  'login.backoff_engaged',
  'rate_limit.exceeded',
  'refresh_token.retried',
  'refresh_token.reused',
  'password.change_failed',
  'signing_key.revoked',
]);

/** Writes one JSON line per security event, for a log pipeline to collect. */
export class AuditLog {
  constructor(
    private readonly write: (line: string) => void = (line) => process.stdout.write(line),
  ) {}

  record(event: SecurityEvent, fields: AuditFields = {}): void {
    const entry = {
      time: new Date().toISOString(),
      level: WARNINGS.has(event) ? 'warn' : 'info',
      logger: 'audit',
      event,
      ...fields,
    };
    this.write(`${JSON.stringify(entry)}\n`);
  }
}
