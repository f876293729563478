import { MemoryRateLimitStore } from '@svt/shared/data-access-sessions';
import type { RateLimitStore } from '@svt/shared/data-access-sessions';
import { AppError } from '@svt/shared/util-http';
import { AuditLog } from './audit-log';
import type { AuthConfig } from './auth.config';
import { ThrottleService } from './throttle.service';

const minute = { count: 3, windowMs: 60_000 };

function setUp(store?: RateLimitStore): {
  throttle: ThrottleService;
  clock: { now: () => number; advance(ms: number): void };
  events: Record<string, unknown>[];
} {
  let now = 1_800_000_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const events: Record<string, unknown>[] = [];
  const config = {
    RATE_LIMIT_LOGIN_IP: minute,
    RATE_LIMIT_REGISTER_IP: minute,
    RATE_LIMIT_REGISTER_EMAIL: minute,
    RATE_LIMIT_REFRESH_IP: minute,
    RATE_LIMIT_REFRESH_ACCOUNT: minute,
    LOGIN_BACKOFF_AFTER: 2,
    LOGIN_BACKOFF_MAX: 5,
    LOGIN_FAILURE_WINDOW: 900,
  } as AuthConfig;
  const audit = new AuditLog((line) => events.push(JSON.parse(line) as Record<string, unknown>));
  const throttle = new ThrottleService(
    store ?? new MemoryRateLimitStore({ now: clock.now }),
    config,
    clock,
    audit,
  );
  return { throttle, clock, events };
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'allowed';
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const retryAfter = error.extras.headers?.['retry-after'];
    return retryAfter ? `${error.code} retry-after=${retryAfter}` : error.code;
  }
}

describe(ThrottleService.name, () => {
  describe('limit', () => {
    it('allows the configured count per window, then answers 429 with Retry-After', async () => {
      const { throttle, clock } = setUp();
      for (let i = 0; i < 3; i++) await throttle.limit('login-ip', '10.0.0.1');
      clock.advance(15_000);
      expect(await outcome(throttle.limit('login-ip', '10.0.0.1'))).toBe(
        'rate_limited retry-after=45',
      );
    });

    it('counts each subject on its own', async () => {
      const { throttle } = setUp();
      for (let i = 0; i < 3; i++) await throttle.limit('login-ip', '10.0.0.1');
      expect(await outcome(throttle.limit('login-ip', '10.0.0.2'))).toBe('allowed');
    });

    it('opens a new window once the old one closed', async () => {
      const { throttle, clock } = setUp();
      for (let i = 0; i < 4; i++) await outcome(throttle.limit('refresh-ip', '10.0.0.1'));
      clock.advance(60_000);
      expect(await outcome(throttle.limit('refresh-ip', '10.0.0.1'))).toBe('allowed');
    });

    it('logs rate_limit.exceeded once per window, not on every refusal', async () => {
      const { throttle, events } = setUp();
      for (let i = 0; i < 6; i++) await outcome(throttle.limit('register-ip', '10.0.0.1'));
      expect(events.filter((e) => e['event'] === 'rate_limit.exceeded')).toEqual([
        expect.objectContaining({ action: 'register-ip', level: 'warn' }),
      ]);
    });

    it('fails closed with 503 when the counters cannot be reached', async () => {
      const broken: RateLimitStore = {
        hit: () => Promise.reject(new Error('ECONNREFUSED')),
        peek: () => Promise.reject(new Error('ECONNREFUSED')),
        reset: () => Promise.reject(new Error('ECONNREFUSED')),
      };
      const { throttle } = setUp(broken);
      expect(await outcome(throttle.limit('login-ip', '10.0.0.1'))).toBe('store_unavailable');
      expect(await outcome(throttle.assertNotBackedOff('a@example.test'))).toBe(
        'store_unavailable',
      );
    });
  });

  describe('login back-off', () => {
    const email = 'alice@example.test';

    it('lets the first failures through without a wait', async () => {
      const { throttle } = setUp();
      await throttle.recordFailure(email, { ip: null });
      expect(await outcome(throttle.assertNotBackedOff(email))).toBe('allowed');
    });

    it('blocks the email from the LOGIN_BACKOFF_AFTER-th failure, doubling up to the max', async () => {
      const { throttle, clock } = setUp();
      const waits: string[] = [];
      for (let failure = 1; failure <= 6; failure++) {
        await throttle.recordFailure(email, { ip: null });
        waits.push(await outcome(throttle.assertNotBackedOff(email)));
        clock.advance(10_000);
      }
      expect(waits).toEqual([
        'allowed',
        'rate_limited retry-after=1',
        'rate_limited retry-after=2',
        'rate_limited retry-after=4',
        'rate_limited retry-after=5',
        'rate_limited retry-after=5',
      ]);
    });

    it('lifts the block when Retry-After has passed', async () => {
      const { throttle, clock } = setUp();
      for (let failure = 0; failure < 3; failure++)
        await throttle.recordFailure(email, { ip: null });
      clock.advance(2_000);
      expect(await outcome(throttle.assertNotBackedOff(email))).toBe('allowed');
    });

    it('forgets the failures after a correct password', async () => {
      const { throttle } = setUp();
      await throttle.recordFailure(email, { ip: null });
      await throttle.recordSuccess(email);
      await throttle.recordFailure(email, { ip: null });
      expect(await outcome(throttle.assertNotBackedOff(email))).toBe('allowed');
    });

    it('logs login.backoff_engaged with a hash of the email, never the email', async () => {
      const { throttle, events } = setUp();
      for (let failure = 0; failure < 2; failure++) {
        await throttle.recordFailure(email, { ip: '10.0.0.1' });
      }
      expect(events).toEqual([
        expect.objectContaining({ event: 'login.backoff_engaged', failures: 2, seconds: 1 }),
      ]);
      expect(JSON.stringify(events)).not.toContain(email);
    });
  });
});
