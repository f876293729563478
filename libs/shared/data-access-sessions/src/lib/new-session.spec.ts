import { sha256Hex } from '@svt/shared/util-security';
import { newSession } from './new-session';

describe(newSession.name, () => {
  const fields = {
    userId: 'user-1',
    ttlSeconds: 3600,
    idleTtlSeconds: 600,
    client: { userAgent: 'x'.repeat(300), ip: '203.0.113.7' },
    credentialVersion: 2,
    ssoSid: null,
  };

  it('keys the record by the hash of the secret, never the secret itself', () => {
    const { secret, record } = newSession(fields, 1_000);
    expect(record.idHash).toBe(sha256Hex(secret));
    expect(JSON.stringify(record)).not.toContain(secret);
  });

  it('sets both timeouts from now, and trims the user agent', () => {
    const { record } = newSession(fields, 1_000);
    expect(record).toMatchObject({
      createdAt: 1_000,
      lastSeenAt: 1_000,
      expiresAt: 3_601_000,
      idleTimeoutMs: 600_000,
      credentialVersion: 2,
      ssoSid: null,
    });
    expect(record.userAgent).toHaveLength(256);
  });

  it('makes a new secret, handle and CSRF token every time', () => {
    const [a, b] = [newSession(fields, 0), newSession(fields, 0)];
    expect(a.secret).not.toBe(b.secret);
    expect(a.record.handle).not.toBe(b.record.handle);
    expect(a.record.csrfToken).not.toBe(b.record.csrfToken);
  });
});
