import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Cart, CartRepository } from '@svt/cart/data-access';
import { CART_REPOSITORY } from '@svt/cart/data-access';
import type { ArrivedCredentials, Identity } from '@svt/shared/feature-authn';
import { CurrentIdentity, describeCredentials, Public } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import { SetQuantityDto, SKU_PATTERN } from './cart.dto';

/** The cart as the API returns it. */
export interface CartView {
  readonly items: readonly { sku: string; quantity: number }[];
  readonly updatedAt: string | null;
}

const view = (cart: Cart): CartView => ({
  items: cart.items,
  updatedAt: cart.updatedAt === null ? null : new Date(cart.updatedAt).toISOString(),
});

function checkSku(sku: string): string {
  if (!SKU_PATTERN.test(sku)) {
    throw new AppError('validation_failed', 'One or more fields are invalid.', {
      errors: [{ field: 'sku', message: 'must be 1 to 64 letters, digits, ".", "_" or "-"' }],
    });
  }
  return sku;
}

/** The user's cart, whoever vouched for the user: the gateway, a Bearer token or a cookie. */
@Controller('cart')
export class CartController {
  constructor(
    @Inject(CART_REPOSITORY) private readonly carts: CartRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get()
  async get(@CurrentIdentity() identity: Identity): Promise<CartView> {
    return view(await this.carts.get(identity.userId));
  }

  @Put('items/:sku')
  async setItem(
    @CurrentIdentity() identity: Identity,
    @Param('sku') sku: string,
    @Body() body: SetQuantityDto,
  ): Promise<CartView> {
    const item = { sku: checkSku(sku), quantity: body.quantity };
    return view(await this.carts.setItem(identity.userId, item, this.clock.now()));
  }

  @Delete('items/:sku')
  async removeItem(
    @CurrentIdentity() identity: Identity,
    @Param('sku') sku: string,
  ): Promise<CartView> {
    return view(await this.carts.removeItem(identity.userId, checkSku(sku), this.clock.now()));
  }

  @Delete()
  @HttpCode(204)
  async clear(@CurrentIdentity() identity: Identity): Promise<void> {
    await this.carts.clear(identity.userId, this.clock.now());
  }
}

/**
 * What credentials reached CART (names and sizes, no values): the lab shows
 * that the shop's cookie never arrives here, and a Bearer header does.
 */
@Controller('credentials')
export class CredentialsEchoController {
  @Public()
  @Get()
  arrived(@Req() request: FastifyRequest): ArrivedCredentials {
    return describeCredentials(request);
  }
}
