import type { ExecutionContext } from '@nestjs/common';
import { MemoryRateLimitStore } from '@svt/shared/data-access-sessions';
import type { RateLimitStore } from '@svt/shared/data-access-sessions';
import { unreachableRateLimitStore } from '@svt/shared/data-access-sessions/testing';
import type { Identity } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { CartConfig } from './cart.config';
import { CartWriteLimitGuard } from './cart-write-limit.guard';

const START = 1_800_000_000_000;

function identity(userId: string): Identity {
  return {
    userId,
    sessionId: `s-${userId}`,
    method: 'bearer',
    credential: 'bearer',
    expiresAt: START + 600_000,
  };
}

function contextFor(request: { identity?: Identity }): ExecutionContext {
  return { switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
}

function setUp(store?: RateLimitStore): {
  write: (userId: string) => Promise<string>;
  guard: CartWriteLimitGuard;
  clock: { now: () => number; advance(ms: number): void };
} {
  let now = START;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const config = { RATE_LIMIT_CART_WRITES: { count: 3, windowMs: 60_000 } } as CartConfig;
  const guard = new CartWriteLimitGuard(
    store ?? new MemoryRateLimitStore({ now: clock.now }),
    config,
    clock,
  );
  const write = async (userId: string): Promise<string> => {
    try {
      await guard.canActivate(contextFor({ identity: identity(userId) }));
      return 'allowed';
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      const retryAfter = error.retryAfterSeconds;
      return retryAfter !== undefined ? `${error.code} retry-after=${retryAfter}` : error.code;
    }
  };
  return { write, guard, clock };
}

describe(CartWriteLimitGuard.name, () => {
  it('allows RATE_LIMIT_CART_WRITES writes per user and window, then answers 429 with Retry-After', async () => {
    const { write, clock } = setUp();
    for (let i = 0; i < 3; i++) expect(await write('u1')).toBe('allowed');
    clock.advance(20_000);
    expect(await write('u1')).toBe('rate_limited retry-after=40');
  });

  it('counts each user on its own', async () => {
    const { write } = setUp();
    for (let i = 0; i < 4; i++) await write('u1');
    expect(await write('u2')).toBe('allowed');
  });

  it('allows writes again once the window closed', async () => {
    const { write, clock } = setUp();
    for (let i = 0; i < 4; i++) await write('u1');
    clock.advance(60_000);
    expect(await write('u1')).toBe('allowed');
  });

  it('fails closed: 503 store_unavailable when the store cannot answer', async () => {
    const { write } = setUp(unreachableRateLimitStore());
    expect(await write('u1')).toBe('store_unavailable');
  });

  it('is a programming error on a route nobody authenticated', async () => {
    const { guard } = setUp();
    await expect(guard.canActivate(contextFor({}))).rejects.toThrow(TypeError);
  });
});
