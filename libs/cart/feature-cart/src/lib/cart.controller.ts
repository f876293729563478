import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Put,
  UseGuards,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import type { Cart, CartRepository } from '@svt/cart/data-access';
import { CART_REPOSITORY } from '@svt/cart/data-access';
import type { Identity } from '@svt/shared/feature-authn';
import { credentialsEchoController, CurrentIdentity } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  COOKIE_CHANGE_PROBLEMS,
} from '@svt/shared/util-http';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { CartConfig } from './cart.config';
import { CartWriteLimitGuard } from './cart-write-limit.guard';
import { CartViewDto, SetQuantityDto, SKU_PATTERN } from './cart.dto';
import { CART_CONFIG } from './cart.tokens';

const SKU_PARAM = ApiParam({
  name: 'sku',
  description: 'Letters, digits, `.`, `_`, `-`; 1–64 characters.',
  schema: { type: 'string', pattern: SKU_PATTERN.source },
  example: 'tea-earl-grey',
});

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
@ApiTags('cart')
@ApiAuthenticated()
@Controller('cart')
export class CartController {
  constructor(
    @Inject(CART_REPOSITORY) private readonly carts: CartRepository,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CART_CONFIG) private readonly config: CartConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The cart' })
  @ApiOkResponse({ type: CartViewDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  async get(@CurrentIdentity() identity: Identity): Promise<CartView> {
    return view(await this.carts.get(identity.userId));
  }

  @Put('items/:sku')
  @UseGuards(CartWriteLimitGuard)
  @ApiOperation({
    summary: 'Set the quantity of an item',
    description:
      'Adds the item when the cart does not hold it yet. A cart holds at most `CART_MAX_ITEMS` (100) different items: adding another is 409 `cart_full`; changing the quantity of an item it holds always works.',
  })
  @SKU_PARAM
  @ApiOkResponse({ type: CartViewDto, description: 'The whole cart.' })
  @ApiProblems(
    ...AUTHENTICATED_PROBLEMS,
    ...COOKIE_CHANGE_PROBLEMS,
    'validation_failed',
    'malformed_json',
    'cart_full',
    'rate_limited',
  )
  async setItem(
    @CurrentIdentity() identity: Identity,
    @Param('sku') sku: string,
    @Body() body: SetQuantityDto,
  ): Promise<CartView> {
    const item = { sku: checkSku(sku), quantity: body.quantity };
    const cart = await this.carts.setItem(identity.userId, item, this.clock.now());
    if (cart === 'full') {
      throw new AppError(
        'cart_full',
        `The cart already holds ${this.config.CART_MAX_ITEMS} different items, the most it may: change the quantity of one, or remove one first.`,
      );
    }
    return view(cart);
  }

  @Delete('items/:sku')
  @UseGuards(CartWriteLimitGuard)
  @ApiOperation({ summary: 'Remove an item' })
  @SKU_PARAM
  @ApiOkResponse({ type: CartViewDto, description: 'The whole cart.' })
  @ApiProblems(
    ...AUTHENTICATED_PROBLEMS,
    ...COOKIE_CHANGE_PROBLEMS,
    'validation_failed',
    'rate_limited',
  )
  async removeItem(
    @CurrentIdentity() identity: Identity,
    @Param('sku') sku: string,
  ): Promise<CartView> {
    return view(await this.carts.removeItem(identity.userId, checkSku(sku), this.clock.now()));
  }

  @Delete()
  @HttpCode(204)
  @UseGuards(CartWriteLimitGuard)
  @ApiOperation({ summary: 'Empty the cart' })
  @ApiNoContentResponse({ description: 'Emptied.' })
  @ApiProblems(...AUTHENTICATED_PROBLEMS, ...COOKIE_CHANGE_PROBLEMS, 'rate_limited')
  async clear(@CurrentIdentity() identity: Identity): Promise<void> {
    await this.carts.clear(identity.userId, this.clock.now());
  }
}

/**
 * What credentials reached CART (names and sizes, no values): the lab shows
 * that the shop's cookie never arrives here, and a Bearer header does.
 */
export const CredentialsEchoController = credentialsEchoController({
  path: 'credentials',
  tag: 'lab',
  summary: 'Which credential headers reached CART (no values)',
  description: "The lab shows with it that the shop's cookie never arrives here.",
  cookieExample: { names: [], headerBytes: 0 },
});
