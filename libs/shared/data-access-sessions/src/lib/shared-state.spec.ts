import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { SqliteClient } from '@svt/shared/data-access-sql';
import { createClient } from 'redis';
import { DENYLIST } from './denylist';
import { RATE_LIMIT_STORE } from './rate-limit-store';
import { REPLAY_CACHE } from './replay-cache';
import { SESSION_STORE } from './session-store';
import type { SessionRecord } from './session-store';
import { MemorySessionStore } from './memory-session-store';
import { MirroredDenylist } from './mirrored-denylist';
import { OIDC_STATE_STORE } from './oidc-state-store';
import { openSharedState, provideSharedState, SHARED_STATE } from './shared-state';
import type { OpenSharedStateOptions, SharedState } from './shared-state';
import { SqliteDenylist } from './sqlite-denylist';
import { SqliteOidcStateStore } from './sqlite-oidc-state-store';
import { SqliteRateLimitStore } from './sqlite-rate-limit-store';
import { SqliteReplayCache } from './sqlite-replay-cache';
import { SqliteSessionStore } from './sqlite-session-store';
import { deleteKeysWithPrefix, ManualClock, uniquePrefix } from './testing/contract-harness';

// eslint-disable-next-line no-restricted-syntax -- test harness reads the CI-provided server URL
const redisUrl = process.env['REDIS_URL'];

function aSession(now: number): SessionRecord {
  const id = randomBytes(32).toString('hex');
  return {
    idHash: id,
    handle: `handle-${id.slice(0, 8)}`,
    userId: 'alice',
    csrfToken: 'csrf',
    createdAt: now,
    expiresAt: now + 3_600_000,
    lastSeenAt: now,
    idleTimeoutMs: 1_800_000,
    userAgent: null,
    ip: null,
    credentialVersion: 0,
    ssoSid: null,
    amr: ['pwd'],
    authTime: now,
  };
}

/** Writes one entry through each port of `state`. */
async function writeThroughEachPort(state: SharedState, now: number): Promise<SessionRecord> {
  const record = aSession(now);
  await state.sessions.create(record);
  await state.denylist.deny('sid-1', now + 60_000);
  await state.rateLimits.hit('login:alice', 60_000);
  await state.replays.firstUse('jti-1', 60_000);
  await state.oidc.upsert('Session', 'op-session-1', { uid: 'uid-1', accountId: 'alice' }, 600);
  return record;
}

/** Asserts that every port of `state` refuses work: they shared the connection that closed. */
async function expectEveryPortClosed(state: SharedState): Promise<void> {
  await expect(state.sessions.find('0'.repeat(64))).rejects.toThrow();
  await expect(state.denylist.isDenied('sid-1')).rejects.toThrow();
  await expect(state.rateLimits.peek('login:alice')).rejects.toThrow();
  await expect(state.replays.firstUse('jti-2', 60_000)).rejects.toThrow();
  await expect(state.oidc.find('Session', 'op-session-1')).rejects.toThrow();
  await expect(state.ping()).rejects.toThrow();
}

/** Waits until `state` answers that `sid` is denied; rejects after `withinMs`. */
async function expectDeniedWithin(
  state: SharedState,
  sid: string,
  withinMs: number,
): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await state.denylist.isDenied(sid))) {
    if (Date.now() > deadline) throw new Error(`${sid} not denied within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Two processes' shared state: a denial made by one reaches the other's mirror within 1 s. */
async function expectDenialsShared(options: OpenSharedStateOptions): Promise<void> {
  const [here, there] = await Promise.all([openSharedState(options), openSharedState(options)]);
  try {
    expect(here.denylist).toBeInstanceOf(MirroredDenylist);

    await there.denylist.deny('sid-1', Date.now() + 60_000);

    await expectDeniedWithin(here, 'sid-1', 1000);
  } finally {
    await Promise.all([here.close(), there.close()]);
  }
}

describe('openSharedState', () => {
  describe('without a Redis URL', () => {
    let dir: string;
    let file: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'svt-shared-state-'));
      file = join(dir, 'sessions.sqlite');
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('keeps sessions, denials, counters, used ids and OIDC state in the one SQLite file', async () => {
      const clock = new ManualClock();
      const state = await openSharedState({
        redisUrl: '',
        redisKeyPrefix: 'svt:',
        sqliteFile: file,
        now: clock.now,
      });
      const record = await writeThroughEachPort(state, clock.now());
      await state.close();

      const sessions = await SqliteSessionStore.open(file, { now: clock.now });
      const denylist = await SqliteDenylist.open(file, { now: clock.now });
      const rateLimits = await SqliteRateLimitStore.open(file, { now: clock.now });
      const replays = await SqliteReplayCache.open(file, { now: clock.now });
      const oidc = await SqliteOidcStateStore.open(file, { now: clock.now });
      try {
        await expect(sessions.find(record.idHash)).resolves.toEqual(record);
        await expect(denylist.isDenied('sid-1')).resolves.toBe(true);
        await expect(rateLimits.peek('login:alice')).resolves.toEqual({
          count: 1,
          resetAt: clock.now() + 60_000,
        });
        await expect(replays.firstUse('jti-1', 60_000)).resolves.toBe(false);
        await expect(oidc.sessionIdsByAccount('alice')).resolves.toEqual(['op-session-1']);
      } finally {
        await Promise.all([
          sessions.close(),
          denylist.close(),
          rateLimits.close(),
          replays.close(),
          oidc.close(),
        ]);
      }
    });

    it('mirrors the denylist, so a denial made by another process reaches it within 1 s', async () => {
      await expectDenialsShared({ redisKeyPrefix: 'svt:', sqliteFile: file });
    });

    it('answers ping, then closes the one connection of all five ports, idempotently', async () => {
      const state = await openSharedState({ redisKeyPrefix: 'svt:', sqliteFile: file });
      await expect(state.ping()).resolves.toBeUndefined();

      await expect(state.close()).resolves.toBeUndefined();
      await expect(state.close()).resolves.toBeUndefined();

      await expectEveryPortClosed(state);
    });

    it('rejects with an Error naming the file when it cannot be opened', async () => {
      const blocker = new SqliteClient(join(dir, 'not-a-dir'));
      const blocked = join(dir, 'not-a-dir', 'sessions.sqlite');
      try {
        await expect(
          openSharedState({ redisKeyPrefix: 'svt:', sqliteFile: blocked }),
        ).rejects.toThrow(`Cannot open SQLite database ${blocked}`);
      } finally {
        await blocker.close();
      }
    });
  });

  describe('with a Redis URL', () => {
    if (redisUrl) {
      it('mirrors the denylist, so a denial made by another process reaches it within 1 s', async () => {
        const prefix = uniquePrefix();
        try {
          await expectDenialsShared({
            redisUrl,
            redisKeyPrefix: prefix,
            sqliteFile: '/nonexistent/x.sqlite',
          });
        } finally {
          await deleteKeysWithPrefix(redisUrl, prefix);
        }
      });
    }

    it('rejects with the server named, and no password, when Redis is unreachable', async () => {
      const opening = openSharedState({
        redisUrl: 'redis://app:s3cret@127.0.0.1:1',
        redisKeyPrefix: 'svt:',
        sqliteFile: '/nonexistent/sessions.sqlite',
        redisConnectTimeoutMs: 300,
      });

      await expect(opening).rejects.toThrow(/^Cannot connect to Redis at 127\.0\.0\.1:1: /);
      await expect(opening).rejects.toThrow(
        expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
      );
    });

    if (redisUrl) {
      it('keys sessions, denials, counters, used ids and OIDC state under the prefix, and closes them together', async () => {
        const prefix = uniquePrefix();
        const sqliteFile = join(tmpdir(), `svt-unused-${randomBytes(4).toString('hex')}.sqlite`);
        const state = await openSharedState({ redisUrl, redisKeyPrefix: prefix, sqliteFile });
        const inspector = createClient({ url: redisUrl });
        await inspector.connect();
        try {
          const record = await writeThroughEachPort(state, Date.now());
          await expect(state.ping()).resolves.toBeUndefined();

          const sessionKey = Buffer.concat([
            Buffer.from(`${prefix}session:`),
            Buffer.from(record.idHash, 'hex'),
          ]);
          await expect(inspector.exists(sessionKey)).resolves.toBe(1);
          await expect(inspector.zScore(`${prefix}denylist`, 'sid-1')).resolves.not.toBeNull();
          await expect(inspector.get(`${prefix}rate:login:alice`)).resolves.toBe('1');
          await expect(inspector.exists(`${prefix}replay:jti-1`)).resolves.toBe(1);
          await expect(inspector.exists(`${prefix}oidc:Session:op-session-1`)).resolves.toBe(1);
          expect(existsSync(sqliteFile)).toBe(false);

          await state.close();
          await state.close();
          await expectEveryPortClosed(state);
        } finally {
          await state.close();
          await inspector.close();
          await deleteKeysWithPrefix(redisUrl, prefix);
        }
      });
    }
  });
});

describe('provideSharedState', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-shared-state-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('provides the five ports of one shared state, on sessions.sqlite in dataDir', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: provideSharedState({ redisKeyPrefix: 'svt:', dataDir: dir }),
    }).compile();
    const state = moduleRef.get<SharedState>(SHARED_STATE);
    try {
      expect(moduleRef.get(SESSION_STORE)).toBe(state.sessions);
      expect(moduleRef.get(DENYLIST)).toBe(state.denylist);
      expect(moduleRef.get(RATE_LIMIT_STORE)).toBe(state.rateLimits);
      expect(moduleRef.get(REPLAY_CACHE)).toBe(state.replays);
      expect(moduleRef.get(OIDC_STATE_STORE)).toBe(state.oidc);
      expect(existsSync(join(dir, 'sessions.sqlite'))).toBe(true);
      await expect(state.ping()).resolves.toBeUndefined();
    } finally {
      await state.close();
      await moduleRef.close();
    }
  });

  it('keeps sessions in this process only when asked for memory, the rest still shared', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: provideSharedState({ redisKeyPrefix: 'svt:', dataDir: dir, sessions: 'memory' }),
    }).compile();
    const state = moduleRef.get<SharedState>(SHARED_STATE);
    try {
      expect(moduleRef.get(SESSION_STORE)).toBeInstanceOf(MemorySessionStore);
      expect(moduleRef.get(SESSION_STORE)).not.toBe(state.sessions);
      expect(moduleRef.get(DENYLIST)).toBe(state.denylist);
    } finally {
      await state.close();
      await moduleRef.close();
    }
  });
});
