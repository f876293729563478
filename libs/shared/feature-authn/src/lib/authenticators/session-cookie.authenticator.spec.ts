import type { FastifyRequest } from 'fastify';
import { MemorySessionStore } from '@svt/shared/data-access-sessions';
import type { SessionRecord, SessionStore } from '@svt/shared/data-access-sessions';
import { sha256Hex } from '@svt/shared/util-security';
import { SessionCookieAuthenticator, touchIntervalMs } from './session-cookie.authenticator';

const SECRET = 'cookie-secret-value';
const START = 1_800_000_000_000;
const IDLE = 30 * 60_000;

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    idHash: sha256Hex(SECRET),
    handle: 'handle-1',
    userId: 'user-1',
    csrfToken: 'csrf',
    createdAt: START,
    expiresAt: START + 8 * 3600_000,
    lastSeenAt: START,
    idleTimeoutMs: IDLE,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    amr: ['pwd'],
    authTime: START,
    ...overrides,
  };
}

function withCookie(value?: string): FastifyRequest {
  return { cookies: value === undefined ? {} : { sid: value } } as unknown as FastifyRequest;
}

async function setUp(): Promise<{
  store: MemorySessionStore;
  authenticator: SessionCookieAuthenticator;
  clock: { at: number };
}> {
  const clock = { at: START };
  const store = new MemorySessionStore({ now: () => clock.at });
  await store.create(record());
  return {
    store,
    authenticator: new SessionCookieAuthenticator(store, 'sid', { now: () => clock.at }),
    clock,
  };
}

describe(touchIntervalMs.name, () => {
  it('is a tenth of the idle timeout, at most a minute', () => {
    expect(touchIntervalMs(3_000)).toBe(300);
    expect(touchIntervalMs(IDLE)).toBe(60_000);
  });
});

describe(SessionCookieAuthenticator.name, () => {
  it('is not concerned by a request without the cookie', async () => {
    const { authenticator } = await setUp();
    await expect(authenticator.authenticate(withCookie())).resolves.toEqual({ kind: 'not-mine' });
  });

  it('authenticates a live session, its idle deadline as the expiry', async () => {
    const { authenticator } = await setUp();
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'authenticated',
      identity: { userId: 'user-1', sessionId: 'handle-1', expiresAt: START + IDLE },
    });
  });

  describe('sliding expiry', () => {
    it('writes nothing while the last write is less than the touch interval old', async () => {
      const { store, authenticator, clock } = await setUp();
      clock.at = START + 59_000;
      await authenticator.authenticate(withCookie(SECRET));
      expect((await store.find(sha256Hex(SECRET)))?.lastSeenAt).toBe(START);
    });

    it('moves the idle deadline once the interval has passed', async () => {
      const { store, authenticator, clock } = await setUp();
      clock.at = START + 60_000;
      const result = await authenticator.authenticate(withCookie(SECRET));
      expect((await store.find(sha256Hex(SECRET)))?.lastSeenAt).toBe(START + 60_000);
      expect(result).toMatchObject({ identity: { expiresAt: START + 60_000 + IDLE } });
    });

    it('keeps a session alive past its first idle deadline while it is used', async () => {
      const { authenticator, clock } = await setUp();
      for (let minute = 1; minute <= 40; minute++) {
        clock.at = START + minute * 60_000;
        await authenticator.authenticate(withCookie(SECRET));
      }
      await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
        kind: 'authenticated',
      });
    });
  });

  it('rejects a session left idle past its timeout', async () => {
    const { authenticator, clock } = await setUp();
    clock.at = START + IDLE;
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'rejected',
      reason: 'session_unknown',
      tokenPresented: false,
    });
  });

  it('fails closed with 503 when the store cannot answer', async () => {
    const broken = {
      find: () => Promise.reject(new Error('ECONNREFUSED')),
    } as unknown as SessionStore;
    const authenticator = new SessionCookieAuthenticator(broken, 'sid');
    await expect(authenticator.authenticate(withCookie(SECRET))).rejects.toMatchObject({
      code: 'store_unavailable',
    });
  });

  it('still authenticates when only the activity write fails', async () => {
    const { store, clock } = await setUp();
    const flaky = Object.assign(Object.create(store) as SessionStore, {
      find: (idHash: string) => store.find(idHash),
      touch: () => Promise.reject(new Error('READONLY')),
    });
    clock.at = START + 120_000;
    const authenticator = new SessionCookieAuthenticator(flaky, 'sid', { now: () => clock.at });
    await expect(authenticator.authenticate(withCookie(SECRET))).resolves.toMatchObject({
      kind: 'authenticated',
      identity: { expiresAt: START + IDLE },
    });
  });
});
