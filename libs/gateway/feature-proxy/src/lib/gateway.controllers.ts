import { All, Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity, PublicJwk } from '@svt/shared/feature-authn';
import { CurrentIdentity, IDENTITY_TOKEN_HEADER, Public } from '@svt/shared/feature-authn';
import type { GatewayConfig } from './gateway.config';
import {
  AUTH_UPSTREAM,
  CART_UPSTREAM,
  GATEWAY_CONFIG,
  IDENTITY_KEY,
  IDENTITY_SIGNER,
} from './gateway.tokens';
import type { IdentityKey } from './identity-key';
import type { IdentityTokenSigner } from './identity-token.signer';
import type { Upstream } from './upstream';

/** The caller's own credentials stay at the gateway; CART gets the identity token instead. */
const USER_CREDENTIALS: ReadonlySet<string> = new Set(['authorization', 'cookie', 'x-csrf-token']);

/** `/api/x?y` → `/x?y`, keeping the query string untouched. */
function upstreamPath(request: FastifyRequest): string {
  return request.url.replace(/^\/api(?=\/)/, '');
}

@Controller('api')
export class MeController {
  /** Who the gateway says you are, and how it knows. */
  @Get('me')
  me(@CurrentIdentity() identity: Identity): { userId: string; method: string } {
    return { userId: identity.userId, method: identity.method };
  }
}

/** `/api/auth/*` → AUTH `/auth/*`, cookies and Set-Cookie included: AUTH authenticates these itself. */
@Controller('api/auth')
export class AuthProxyController {
  constructor(@Inject(AUTH_UPSTREAM) private readonly auth: Upstream) {}

  @Public()
  @All('*')
  forward(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.auth.forward(request, reply, { path: upstreamPath(request) });
  }
}

/**
 * `/api/cart[/*]` → CART `/cart[/*]`. The user's own credential stays here;
 * CART receives only the gateway's signed identity token, minted for it.
 */
@Controller('api/cart')
export class CartProxyController {
  constructor(
    @Inject(CART_UPSTREAM) private readonly cart: Upstream,
    @Inject(IDENTITY_SIGNER) private readonly signer: IdentityTokenSigner,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @All()
  root(
    @CurrentIdentity() identity: Identity,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.forward(identity, request, reply);
  }

  @All('*')
  nested(
    @CurrentIdentity() identity: Identity,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.forward(identity, request, reply);
  }

  private forward(identity: Identity, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    return this.cart.forward(request, reply, {
      path: upstreamPath(request),
      drop: USER_CREDENTIALS,
      set: { [IDENTITY_TOKEN_HEADER]: this.signer.sign(identity, this.config.CART_ORIGIN) },
      identityForwarded: true,
    });
  }
}

/** The gateway's public key, for upstreams verifying its identity tokens. */
@Controller('.well-known')
export class GatewayJwksController {
  constructor(@Inject(IDENTITY_KEY) private readonly key: IdentityKey) {}

  @Public()
  @Get('jwks.json')
  jwks(@Res({ passthrough: true }) reply: FastifyReply): { keys: PublicJwk[] } {
    reply.header('cache-control', 'public, max-age=60');
    return { keys: [this.key.jwk] };
  }
}
