import { createLogger } from '@svt/shared/util-http';
import { AuditLog } from './audit-log';
import type { SecurityEvent } from './audit-log';

type Line = Record<string, unknown>;

async function auditLog(level: 'info' | 'warn'): Promise<{ audit: AuditLog; lines: Line[] }> {
  const lines: Line[] = [];
  const logger = await createLogger({
    format: 'json',
    level,
    destination: { write: (text: string) => lines.push(JSON.parse(text) as Line) },
  });
  return { audit: new AuditLog(logger), lines };
}

describe(AuditLog.name, () => {
  it('writes an event in the format of every other line: level label, ISO 8601 time, logger, event, fields', async () => {
    const { audit, lines } = await auditLog('info');

    audit.record('login.succeeded', { userId: 'u1', method: 'session' });

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
        logger: 'audit',
        event: 'login.succeeded',
        userId: 'u1',
        method: 'session',
      }),
    ]);
  });

  it('writes every event even where only warnings are logged (NODE_ENV=test): alerting depends on them', async () => {
    const { audit, lines } = await auditLog('warn');

    audit.record('logout', { userId: 'u1' });

    expect(lines).toEqual([expect.objectContaining({ level: 'info', event: 'logout' })]);
  });

  it.each<[SecurityEvent, string]>([
    ['registration.succeeded', 'info'],
    ['login.succeeded', 'info'],
    ['login.failed', 'warn'],
    ['refresh_token.reused', 'warn'],
    ['signing_key.rotated', 'info'],
    ['signing_key.revoked', 'warn'],
  ])('writes %s at %s', async (event, level) => {
    const { audit, lines } = await auditLog('info');

    audit.record(event);

    expect(lines[0]).toMatchObject({ level, event });
  });
});
