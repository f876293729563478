import { MemoryRateLimitStore } from '@svt/shared/data-access-sessions';
import type { RateLimitStore } from '@svt/shared/data-access-sessions';
import { unreachableRateLimitStore } from '@svt/shared/data-access-sessions/testing';
import { AppError } from '@svt/shared/util-errors';
import { createLogger } from '@svt/shared/util-http';
import { sha256Hex } from '@svt/shared/util-security';
import { AuditLog } from './audit-log';
import type { AuthConfig } from '../auth.config';
import { ServerKeys } from './server-keys';
import { ThrottleService } from './throttle.service';
import type { Guesser } from './throttle.service';

const minute = { count: 3, windowMs: 60_000 };

const config = {
  RATE_LIMIT_LOGIN_IP: minute,
  RATE_LIMIT_REGISTER_IP: minute,
  RATE_LIMIT_REGISTER_EMAIL: minute,
  RATE_LIMIT_REFRESH_IP: minute,
  RATE_LIMIT_REFRESH_ACCOUNT: minute,
  LOGIN_BACKOFF_AFTER: 2,
  LOGIN_DEVICE_BACKOFF_AFTER: 4,
  LOGIN_BACKOFF_MAX: 5,
  LOGIN_FAILURE_WINDOW: 900,
  KEY_ENCRYPTION_SECRET: 'a-test-secret-of-at-least-32-characters',
} as AuthConfig;

const broken = unreachableRateLimitStore();

async function setUp(store?: RateLimitStore): Promise<{
  throttle: ThrottleService;
  clock: { now: () => number; advance(ms: number): void };
  events: Record<string, unknown>[];
}> {
  let now = 1_800_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const events: Record<string, unknown>[] = [];
  const logger = await createLogger({
    format: 'json',
    destination: { write: (line) => events.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const audit = new AuditLog(logger);
  const throttle = new ThrottleService(
    store ?? new MemoryRateLimitStore({ now: clock.now }),
    config,
    clock,
    audit,
    new ServerKeys(config),
  );
  return { throttle, clock, events };
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const retryAfter = error.retryAfterSeconds;
    return retryAfter !== undefined ? `${error.code} retry-after=${retryAfter}` : error.code;
  }
}

describe(ThrottleService.name, () => {
  describe('limit', () => {
    it('allows the configured count per window, then answers 429 with Retry-After', async () => {
      const { throttle, clock } = await setUp();
      for (let i = 0; i < 3; i++) await throttle.limit('login-ip', '10.0.0.1');
      clock.advance(15_000);
      expect(await outcome(throttle.limit('login-ip', '10.0.0.1'))).toBe(
        'rate_limited retry-after=45',
      );
    });

    it('counts each subject on its own', async () => {
      const { throttle } = await setUp();
      for (let i = 0; i < 3; i++) await throttle.limit('login-ip', '10.0.0.1');
      expect(await outcome(throttle.limit('login-ip', '10.0.0.2'))).toBe('allowed');
    });

    it('opens a new window once the old one closed', async () => {
      const { throttle, clock } = await setUp();
      for (let i = 0; i < 4; i++) await outcome(throttle.limit('refresh-ip', '10.0.0.1'));
      clock.advance(60_000);
      expect(await outcome(throttle.limit('refresh-ip', '10.0.0.1'))).toBe('allowed');
    });

    it('logs rate_limit.exceeded once per window, not on every refusal', async () => {
      const { throttle, events } = await setUp();
      for (let i = 0; i < 6; i++) await outcome(throttle.limit('register-ip', '10.0.0.1'));
      expect(events.filter((e) => e['event'] === 'rate_limit.exceeded')).toEqual([
        expect.objectContaining({ action: 'register-ip', level: 'warn' }),
      ]);
    });

    it('fails closed with 503 when the counters cannot be reached', async () => {
      const { throttle } = await setUp(broken);
      expect(await outcome(throttle.limit('login-ip', '10.0.0.1'))).toBe('store_unavailable');
    });
  });

  describe('password checks', () => {
    const email = 'alice@example.test';

    /** Begins a check and settles it as failed, as a wrong password does. */
    async function wrongPassword(throttle: ThrottleService, guesser: Guesser): Promise<string> {
      try {
        const check = await throttle.beginPasswordCheck(guesser);
        throttle.passwordFailed(check, { ip: '10.0.0.1' });
        return 'checked';
      } catch (error) {
        return outcome(Promise.reject(error));
      }
    }

    it('lets the first checks through without a wait', async () => {
      const { throttle } = await setUp();
      expect(await wrongPassword(throttle, { email })).toBe('checked');
      expect(await wrongPassword(throttle, { email })).toBe('checked');
    });

    it('blocks the email from the LOGIN_BACKOFF_AFTER-th check on, doubling up to the max', async () => {
      const { throttle, clock } = await setUp();
      const answers: string[] = [];
      for (let attempt = 1; attempt <= 6; attempt++) {
        answers.push(await wrongPassword(throttle, { email }));
        answers.push(await outcome(throttle.beginPasswordCheck({ email })));
        clock.advance(10_000);
      }
      expect(answers).toEqual([
        'checked',
        'allowed',
        'checked',
        'rate_limited retry-after=2',
        'checked',
        'rate_limited retry-after=4',
        'checked',
        'rate_limited retry-after=5',
        'checked',
        'rate_limited retry-after=5',
        'checked',
        'rate_limited retry-after=5',
      ]);
    });

    it('reserves no more checks in parallel than one after the other, before any has finished', async () => {
      const { throttle } = await setUp();

      const answers = await Promise.all(
        Array.from({ length: 10 }, () => outcome(throttle.beginPasswordCheck({ email }))),
      );

      expect(answers.filter((answer) => answer === 'allowed')).toHaveLength(2);
      expect(new Set(answers.filter((answer) => answer !== 'allowed'))).toEqual(
        new Set(['rate_limited retry-after=1']),
      );
    });

    it('lifts the block when Retry-After has passed', async () => {
      const { throttle, clock } = await setUp();
      await wrongPassword(throttle, { email });
      await wrongPassword(throttle, { email });
      clock.advance(1_000);
      expect(await outcome(throttle.beginPasswordCheck({ email }))).toBe('allowed');
    });

    it('forgets the reserved checks after a correct password', async () => {
      const { throttle } = await setUp();
      await wrongPassword(throttle, { email });
      await throttle.passwordMatched(await throttle.beginPasswordCheck({ email }));
      await wrongPassword(throttle, { email });
      expect(await outcome(throttle.beginPasswordCheck({ email }))).toBe('allowed');
    });

    it.each<[string, Guesser]>([
      ['a device that proved the account before', { device: 'device-1', email }],
      ['a signed-in session', { session: 'session-1' }],
    ])(
      'counts %s on its own, from LOGIN_DEVICE_BACKOFF_AFTER on, while the email is blocked',
      async (_, guesser) => {
        const { throttle } = await setUp();
        await wrongPassword(throttle, { email });
        await wrongPassword(throttle, { email });
        expect(await outcome(throttle.beginPasswordCheck({ email }))).toMatch(/^rate_limited/);

        const answers = [];
        for (let attempt = 0; attempt < 5; attempt++) {
          answers.push(await wrongPassword(throttle, guesser));
        }

        expect(answers).toEqual([...Array(4).fill('checked'), 'rate_limited retry-after=1']);
      },
    );

    it('fails closed with 503 when the counters cannot be reached', async () => {
      const { throttle } = await setUp(broken);
      expect(await outcome(throttle.beginPasswordCheck({ email }))).toBe('store_unavailable');
    });

    it('logs login.backoff_engaged with a keyed pseudonym of the email, never the email or its plain hash', async () => {
      const { throttle, events } = await setUp();
      await wrongPassword(throttle, { email });
      await wrongPassword(throttle, { email });
      expect(events).toEqual([
        expect.objectContaining({
          event: 'login.backoff_engaged',
          account: new ServerKeys(config).auditAccount(email),
          failures: 2,
          seconds: 1,
        }),
      ]);
      expect(JSON.stringify(events)).not.toContain(email);
      expect(JSON.stringify(events)).not.toContain(sha256Hex(email).slice(0, 16));
    });
  });
});
