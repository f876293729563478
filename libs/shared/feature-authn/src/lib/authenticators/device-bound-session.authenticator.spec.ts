import type { FastifyRequest } from 'fastify';
import { MemorySessionStore } from '@svt/shared/data-access-sessions';
import type { DeviceBinding, SessionRecord } from '@svt/shared/data-access-sessions';
import { sha256Hex } from '@svt/shared/util-security';
import { DeviceBoundSessionAuthenticator } from './device-bound-session.authenticator';
import { SessionCookieAuthenticator } from './session-cookie.authenticator';

const START = 1_800_000_000_000;
const BOUND = 'bound-cookie-value';

function binding(overrides: Partial<DeviceBinding> = {}): DeviceBinding {
  return {
    version: 2,
    key: { x: 'x', y: 'y' },
    challenges: [],
    cookies: [{ value: sha256Hex(BOUND), expiresAt: START + 60_000 }],
    refreshes: 0,
    ...overrides,
  };
}

function record(secret: string, deviceBinding?: DeviceBinding): SessionRecord {
  return {
    idHash: sha256Hex(secret),
    handle: `handle-${secret}`,
    userId: 'user-1',
    csrfToken: 'csrf',
    createdAt: START,
    expiresAt: START + 3600_000,
    lastSeenAt: START,
    idleTimeoutMs: 1800_000,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    amr: ['pwd'],
    authTime: START,
    ...(deviceBinding ? { deviceBinding } : {}),
  };
}

function request(cookies: Record<string, string>, headers = {}): FastifyRequest {
  return { cookies, headers } as unknown as FastifyRequest;
}

async function setUp(required = false) {
  const clock = { at: START };
  const store = new MemorySessionStore({ now: () => clock.at });
  await store.create(record('bound', binding()));
  await store.create(record('offered', binding({ key: null, cookies: [] })));
  await store.create(record('plain'));
  const now = { now: () => clock.at };
  return {
    clock,
    store,
    deviceBound: new DeviceBoundSessionAuthenticator(store, 'sid', required, now),
    plain: new SessionCookieAuthenticator(store, 'sid', now),
  };
}

describe(DeviceBoundSessionAuthenticator.name, () => {
  it('authenticates a bound session with its live bound cookie, as device-bound', async () => {
    const { deviceBound } = await setUp();

    await expect(
      deviceBound.authenticate(request({ sid: 'bound', 'sid-bound': BOUND })),
    ).resolves.toMatchObject({
      kind: 'authenticated',
      identity: { userId: 'user-1', sessionId: 'handle-bound', deviceBound: true },
    });
  });

  it.each([
    ['without the bound cookie', { sid: 'bound' }],
    ['with a bound cookie it never issued', { sid: 'bound', 'sid-bound': 'forged' }],
  ])('refuses a bound session %s: bound_cookie_required', async (_, cookies) => {
    const { deviceBound } = await setUp();

    await expect(deviceBound.authenticate(request(cookies))).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'bound_cookie_invalid',
      error: { code: 'bound_cookie_required' },
    });
  });

  it('refuses the bound cookie once expired, and says when the browser skipped its refresh', async () => {
    const { deviceBound, clock } = await setUp();
    clock.at = START + 60_000;

    const result = await deviceBound.authenticate(
      request(
        { sid: 'bound', 'sid-bound': BOUND },
        { 'secure-session-skipped': 'quota_exceeded;session_identifier="handle-bound"' },
      ),
    );

    expect(result).toMatchObject({ kind: 'rejected', error: { code: 'bound_cookie_required' } });
    expect(result.kind === 'rejected' && result.error?.detail).toContain('(quota_exceeded)');
  });

  it.each(['offered', 'plain'])(
    'leaves a %s session (no key registered) to the session-cookie authenticator',
    async (secret) => {
      const { deviceBound, plain } = await setUp();

      await expect(deviceBound.authenticate(request({ sid: secret }))).resolves.toEqual({
        kind: 'not-mine',
      });
      await expect(plain.authenticate(request({ sid: secret }))).resolves.toMatchObject({
        kind: 'authenticated',
      });
    },
  );

  it('refuses a session with no key registered when DBSC_REQUIRED', async () => {
    const { deviceBound } = await setUp(true);

    await expect(deviceBound.authenticate(request({ sid: 'plain' }))).resolves.toMatchObject({
      kind: 'rejected',
      error: { code: 'device_binding_required' },
    });
  });

  it('is not concerned by a request without a session cookie or with an unknown one', async () => {
    const { deviceBound } = await setUp(true);

    await expect(deviceBound.authenticate(request({}))).resolves.toEqual({ kind: 'not-mine' });
    await expect(deviceBound.authenticate(request({ sid: 'unknown' }))).resolves.toEqual({
      kind: 'not-mine',
    });
  });

  it('reads the session once for both authenticators of one request', async () => {
    const { deviceBound, plain, store } = await setUp();
    const find = jest.spyOn(store, 'find');
    const one = request({ sid: 'plain' });

    await deviceBound.authenticate(one);
    await plain.authenticate(one);

    expect(find).toHaveBeenCalledTimes(1);
  });
});
