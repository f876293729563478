import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { RateLimitStore } from '@svt/shared/data-access-sessions';
import { RATE_LIMIT_STORE } from '@svt/shared/data-access-sessions';
import type { Identity } from '@svt/shared/feature-authn';
import { failClosed, rateLimited } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { CartConfig } from './cart.config';
import { CART_CONFIG } from './cart.tokens';

/**
 * OWASP API Security Top 10 (2023), API4: a fixed-window limit on each
 * user's cart writes (RATE_LIMIT_CART_WRITES), counted by user id whatever
 * the credential, in the shared store so that every replica counts alike.
 * It runs after the global authentication guard; reads are not limited.
 */
@Injectable()
export class CartWriteLimitGuard implements CanActivate {
  constructor(
    @Inject(RATE_LIMIT_STORE) private readonly store: RateLimitStore,
    @Inject(CART_CONFIG) private readonly config: CartConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const identity: Identity | undefined = context
      .switchToHttp()
      .getRequest<FastifyRequest>().identity;
    if (!identity) {
      throw new TypeError('CartWriteLimitGuard needs an authenticated route: no identity');
    }
    const { count, windowMs } = this.config.RATE_LIMIT_CART_WRITES;
    const window = await failClosed(
      this.store.hit(`cart-writes:${identity.userId}`, windowMs),
      'rate-limit store',
    );
    if (window.count <= count) return true;
    throw rateLimited(
      window.resetAt,
      this.clock.now(),
      'Too many changes to the cart. Try again later.',
    );
  }
}
