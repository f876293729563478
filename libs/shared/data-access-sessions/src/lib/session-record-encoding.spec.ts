import { decodeSessionValue, encodeSessionValue } from './session-record-encoding';
import type { DeviceBinding } from './device-binding';
import type { SessionRecord } from './session-store';

const ID_HASH = 'ab'.repeat(32);

const browserSession: SessionRecord = {
  idHash: ID_HASH,
  handle: '0b6f2c1e-5d4a-4f3b-9c2d-8e7f6a5b4c3d',
  userId: '5f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
  csrfToken: 'EE12yMLIAHY7H_XlCsUydCBrxLWA5kJtkYMgqFWh_Bs',
  createdAt: 1_796_627_639_865,
  expiresAt: 1_796_627_639_865 + 86_400_000,
  lastSeenAt: 1_796_627_639_865 + 42_000,
  idleTimeoutMs: 1_800_000,
  userAgent:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  ip: '203.0.113.7',
  credentialVersion: 3,
  ssoSid: null,
  amr: ['pwd'],
  authTime: 1_796_627_639_865,
};

/** A device binding after its browser registered a key and refreshed once. */
const binding: DeviceBinding = {
  version: 3,
  key: {
    x: '6_GB2voQ0qroMh6OlDFCFS_SJriQi1PTvvBOhGZ3bHI',
    y: 'IegOJULyE7SxH_Cd1KCER7lWBvGFHQ-h0xyjzUjEIWE',
  },
  challenges: [
    {
      value: 'q0Xr3pwS9lJ3p2Ew5nLk0b8vV1yQ4cRzT6uH2jK7mNo',
      expiresAt: browserSession.createdAt + 360_000,
    },
  ],
  cookies: [
    { value: 'cd'.repeat(32), expiresAt: browserSession.createdAt + 60_000 },
    { value: 'ef'.repeat(32), expiresAt: browserSession.createdAt + 120_000 },
  ],
  refreshes: 1,
};

const boundSession: SessionRecord = { ...browserSession, deviceBinding: binding };

describe('encodeSessionValue', () => {
  it('writes a browser session in under 120 bytes, without its id hash', () => {
    const value = encodeSessionValue(browserSession);

    expect(value[0]).toBe(0x03);
    expect(value.length).toBeLessThan(120);
    expect(value.includes(Buffer.from(ID_HASH, 'hex'))).toBe(false);
  });

  it('reads a value of the first compact layout as a password login at its creation', () => {
    const record: SessionRecord = {
      ...browserSession,
      amr: ['pwd'],
      authTime: browserSession.createdAt,
    };
    const current = encodeSessionValue(record);
    // The first layout ends after the sso sid: drop the amr ("pwd" as text:
    // 5 bytes), the auth time offset (0: 1 byte) and the binding flag (1 byte).
    const firstLayout = Buffer.concat([Buffer.from([0x01]), current.subarray(1, -7)]);

    expect(decodeSessionValue(ID_HASH, firstLayout)).toEqual(record);
  });

  it('writes a device-bound session compactly under the same marker, and reads it back', () => {
    const value = encodeSessionValue(boundSession);

    expect(value[0]).toBe(0x03);
    expect(value.length).toBeLessThan(encodeSessionValue(browserSession).length + 190);
    expect(decodeSessionValue(ID_HASH, value)).toEqual(boundSession);
  });

  it('writes a binding whose values are not of the usual shape as JSON, and reads it back', () => {
    const odd: SessionRecord = {
      ...boundSession,
      deviceBinding: { ...binding, key: { x: 'short', y: 'short' } },
    };
    const value = encodeSessionValue(odd);

    expect(value.toString('utf8')).toBe(JSON.stringify(odd));
    expect(decodeSessionValue(ID_HASH, value)).toEqual(odd);
  });

  it.each([
    [
      'Chrome on macOS',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    ],
    [
      'Chrome on Android',
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    ],
    [
      'Edge',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
    ],
    ['Firefox', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'],
    [
      'Safari on iPhone',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    ],
    ['curl', 'curl/8.5.0'],
    ['text with control characters', 'agent\u0001\u0000\tname'],
    ['non-ASCII text', 'Navigateur « spécial » 🚀'],
    ['an empty string', ''],
    ['no user agent', null],
  ])('reads back the user agent of %s', (_, userAgent) => {
    const record = { ...browserSession, userAgent };

    expect(decodeSessionValue(ID_HASH, encodeSessionValue(record))).toEqual(record);
  });

  it.each([
    ['a handle that is not a UUID', { handle: 'handle-1' }],
    ['an upper-case UUID', { handle: '0B6F2C1E-5D4A-4F3B-9C2D-8E7F6A5B4C3D' }],
    ['a user id that is a name', { userId: 'alice' }],
    ['a short CSRF token', { csrfToken: 'csrf' }],
    [
      'a 43-character token that does not decode back to itself',
      { csrfToken: `${'A'.repeat(42)}B` },
    ],
    ['an IPv6 address', { ip: '2001:db8::1' }],
    ['an IPv4 address with a leading zero', { ip: '203.0.113.07' }],
    ['an IPv4-mapped IPv6 address', { ip: '::ffff:203.0.113.7' }],
    ['no address', { ip: null }],
    ['a single sign-on sid', { ssoSid: 'op-sid-1' }],
    ['a second factor', { amr: ['pwd', 'otp'], authTime: browserSession.createdAt + 5_000 }],
    ['a touch before creation', { lastSeenAt: browserSession.createdAt - 5 }],
    ['times near zero', { createdAt: 0, expiresAt: 1000, lastSeenAt: 0 }],
  ])('reads back a record with %s', (_, fields) => {
    const record: SessionRecord = { ...browserSession, ...fields };

    expect(decodeSessionValue(ID_HASH, encodeSessionValue(record))).toEqual(record);
  });

  it.each([
    ['a time that is not an integer', { createdAt: 1.5 }],
    ['a lone surrogate in the user agent', { userAgent: 'agent \ud800' }],
  ])('falls back to JSON for %s, which reads back as well', (_, fields) => {
    const record: SessionRecord = { ...browserSession, ...fields };

    const value = encodeSessionValue(record);

    expect(value.toString('utf8')).toBe(JSON.stringify(record));
    expect(decodeSessionValue(ID_HASH, value)).toEqual(record);
  });
});

describe('decodeSessionValue', () => {
  it('reads a JSON record stored before the compact layout, frozen', () => {
    const record = decodeSessionValue(ID_HASH, Buffer.from(JSON.stringify(browserSession)));

    expect(record).toEqual(browserSession);
    expect(Object.isFrozen(record)).toBe(true);
  });

  it('reads a compact record frozen, with the id hash it is given', () => {
    const record = decodeSessionValue(ID_HASH, encodeSessionValue(browserSession));

    expect(record.idHash).toBe(ID_HASH);
    expect(Object.isFrozen(record)).toBe(true);
  });

  it.each([
    ['an unknown marker', Buffer.from([0x03, 0x00])],
    ['a truncated device binding', encodeSessionValue(boundSession).subarray(0, 150)],
    ['a truncated record', encodeSessionValue(browserSession).subarray(0, 40)],
    ['trailing bytes', Buffer.concat([encodeSessionValue(browserSession), Buffer.from([0])])],
    ['an empty value', Buffer.alloc(0)],
  ])('throws a TypeError on %s', (_, value) => {
    expect(() => decodeSessionValue(ID_HASH, value)).toThrow(
      new TypeError('Stored session is malformed'),
    );
  });
});
