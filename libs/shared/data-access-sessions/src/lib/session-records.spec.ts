import { parseRecord } from './session-records';
import type { SessionRecord } from './session-store';

const record: SessionRecord = {
  idHash: 'a'.repeat(64),
  handle: 'handle-1',
  userId: 'alice',
  csrfToken: 'csrf',
  createdAt: 1_000,
  expiresAt: 3_601_000,
  lastSeenAt: 1_000,
  idleTimeoutMs: 1_800_000,
  userAgent: null,
  ip: '203.0.113.7',
  credentialVersion: 3,
  ssoSid: null,
  amr: ['pwd'],
  authTime: 1_000,
};

describe('parseRecord', () => {
  it('reads back a stored record, frozen', () => {
    const parsed = parseRecord(JSON.stringify(record));

    expect(parsed).toEqual(record);
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['a string', '1800000'],
    ['null', null],
  ])('throws when idleTimeoutMs is %s', (_, idleTimeoutMs) => {
    const json = JSON.stringify({ ...record, idleTimeoutMs });

    expect(() => parseRecord(json)).toThrow(new TypeError('Stored session lacks a field'));
  });

  it('reads a record stored before credential versions as version 0', () => {
    const older = JSON.stringify({ ...record, credentialVersion: undefined });

    expect(parseRecord(older)).toEqual({ ...record, credentialVersion: 0 });
  });

  it('reads a record stored before single sign-on as a password login, ssoSid null', () => {
    const older = JSON.stringify({ ...record, ssoSid: undefined });

    expect(parseRecord(older)).toEqual({ ...record, ssoSid: null });
  });

  it('reads a record stored before second factors as a password login at its creation', () => {
    const older = JSON.stringify({ ...record, amr: undefined, authTime: undefined });

    expect(parseRecord(older)).toEqual({ ...record, amr: ['pwd'], authTime: record.createdAt });
  });

  it('reads back the ssoSid of a single sign-on session', () => {
    const singleSignOn = { ...record, ssoSid: 'op-sid-1' };

    expect(parseRecord(JSON.stringify(singleSignOn))).toEqual(singleSignOn);
  });

  it('throws when the stored value is not an object', () => {
    expect(() => parseRecord('"session"')).toThrow(
      new TypeError('Stored session is not an object'),
    );
  });
});
