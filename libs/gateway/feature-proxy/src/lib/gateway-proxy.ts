import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthnPipeline, IDENTITY_TOKEN_HEADER } from '@svt/shared/feature-authn';
import type { TokenScheme } from '@svt/shared/util-http';
import { sendProblem } from '@svt/shared/util-http';
import type { GatewayConfig } from './gateway.config';
import { AUTH_UPSTREAM, CART_UPSTREAM, GATEWAY_CONFIG, IDENTITY_SIGNER } from './gateway.tokens';
import type { IdentityTokenSigner } from './identity-token.signer';
import type { Upstream } from './upstream';

/** The caller's own credentials stay at the gateway; CART gets the identity token instead. */
const USER_CREDENTIALS: ReadonlySet<string> = new Set([
  'authorization',
  'dpop',
  'cookie',
  'x-csrf-token',
]);

/** Where the browser sees AUTH: its cookies scoped to AUTH's routes name this path. */
const AUTH_PREFIX = { 'x-forwarded-prefix': '/api' } as const;

/** `/api/x?y` → `/x?y`, keeping the query string untouched. */
function upstreamPath(request: FastifyRequest): string {
  return request.url.replace(/^\/api(?=\/)/, '');
}

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * The proxy's routes, most of the gateway's traffic:
 *
 * - `/api/auth/*` → AUTH `/auth/*` as it is, cookies and `Set-Cookie`
 *   included: AUTH authenticates these itself;
 * - `/api/cart[/*]` → CART `/cart[/*]`, after the authenticator pipeline.
 *   The user's own credential stays here: CART receives the gateway's signed
 *   identity token, minted for it.
 *
 * They are Fastify routes of the Nest app's own server rather than Nest
 * controllers: a forwarded request needs none of Nest's per-request machinery
 * (route params, pipes, interceptors, guards looked up by reflection), which
 * cost more than the forwarding. What they do need is the same as any route's:
 * the pipeline (`AuthnPipeline`, the global guard's own), the answers as
 * problems (`sendProblem`, the exception filter's own), and Fastify's hooks
 * every route gets (request id, CORS, the request line and its duration).
 * The OpenAPI document describes them by hand (`GATEWAY_PROXY_PATHS`).
 */
@Injectable()
export class GatewayProxy {
  constructor(
    @Inject(AUTH_UPSTREAM) private readonly auth: Upstream,
    @Inject(CART_UPSTREAM) private readonly cart: Upstream,
    @Inject(IDENTITY_SIGNER) private readonly signer: IdentityTokenSigner,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly pipeline: AuthnPipeline,
  ) {}

  /** Adds the routes to the app's server; `tokenScheme` is the one its 401s challenge with. */
  register(fastify: FastifyInstance, tokenScheme: TokenScheme): void {
    const answered =
      (handler: Handler): Handler =>
      async (request, reply) => {
        try {
          await handler(request, reply);
        } catch (error) {
          sendProblem(request, reply, error, tokenScheme);
        }
      };
    fastify.all('/api/auth/*', answered(this.forwardToAuth));
    const toCart = answered(this.forwardToCart);
    fastify.all('/api/cart', toCart);
    fastify.all('/api/cart/*', toCart);
  }

  private readonly forwardToAuth: Handler = (request, reply) =>
    this.auth.forward(request, reply, { path: upstreamPath(request), set: AUTH_PREFIX });

  private readonly forwardToCart: Handler = async (request, reply) => {
    const identity = await this.pipeline.authenticate(request);
    await this.cart.forward(request, reply, {
      path: upstreamPath(request),
      drop: USER_CREDENTIALS,
      set: { [IDENTITY_TOKEN_HEADER]: this.signer.sign(identity, this.config.CART_ORIGIN) },
      identityForwarded: true,
    });
  };
}
