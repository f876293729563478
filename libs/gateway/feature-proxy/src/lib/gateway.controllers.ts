import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { OperationObject, PathItemObject, SecurityRequirementObject } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Identity, PublicJwk } from '@svt/shared/feature-authn';
import { CurrentIdentity, JwksDto, Public } from '@svt/shared/feature-authn';
import {
  ApiAuthenticated,
  ApiProblems,
  AUTHENTICATED_PROBLEMS,
  BEARER_SCHEME,
  COOKIE_CHANGE_PROBLEMS,
  problemResponses,
  SESSION_SCHEME,
} from '@svt/shared/util-http';
import { IDENTITY_KEY } from './gateway.tokens';
import type { SigningKey } from '@svt/shared/util-security';

const AUTHENTICATED: SecurityRequirementObject[] = [
  { [SESSION_SCHEME]: [] },
  { [BEARER_SCHEME]: [] },
];

const forwardedToAuth = (method: string): OperationObject => ({
  tags: ['proxy'],
  operationId: `AuthProxy_${method}`,
  summary: `Forwarded to AUTH \`${method.toUpperCase()} /auth/{path}\``,
  description:
    'Forwarded as it is, cookies and `Set-Cookie` included, so the session cookie lives on the SHOP site. AUTH authenticates these itself: see its document for each operation, its body and its answers.',
  parameters: [
    {
      name: 'path',
      in: 'path',
      required: true,
      description: 'The rest of the path, e.g. `session`, `token/refresh`, `sessions/{id}`.',
      schema: { type: 'string' },
      example: 'session',
    },
  ],
  responses: {
    default: { description: "AUTH's answer, as AUTH gave it." },
    ...problemResponses('upstream_unavailable'),
  },
});

const forwardedToCart = (
  method: string,
  cartPath: string,
  summary: string,
  changes: boolean,
): OperationObject => ({
  tags: ['proxy'],
  operationId: `CartProxy_${method}_${cartPath.replace(/\W+/g, '_')}`,
  summary,
  description: `Authenticated here (session cookie or Bearer), then forwarded to CART \`${method.toUpperCase()} ${cartPath}\` with the gateway's signed identity token instead of the caller's credential. See the cart document for bodies and answers.`,
  security: AUTHENTICATED,
  ...(cartPath.includes('{sku}')
    ? {
        parameters: [
          {
            name: 'sku',
            in: 'path',
            required: true,
            schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
            example: 'tea-earl-grey',
          },
        ],
      }
    : {}),
  responses: {
    default: { description: "CART's answer, as CART gave it." },
    ...problemResponses(
      ...AUTHENTICATED_PROBLEMS,
      ...(changes ? COOKIE_CHANGE_PROBLEMS : []),
      'upstream_unavailable',
    ),
  },
});

/** `GET /api/cart/events` (`CartEventsRoute`): OpenAPI describes its handshake, docs/websocket.md the rest. */
const liveCartHandshake: OperationObject = {
  tags: ['proxy'],
  operationId: 'CartEvents_get',
  summary: 'The live cart, a WebSocket (RFC 6455)',
  description:
    'A WebSocket handshake (`Upgrade: websocket`, subprotocol `cart.v1`), authenticated before the upgrade: the session cookie from an allowed `Origin` only, or an access token offered as the subprotocol `bearer.<token>`, or none and a first message `{"type":"auth","token":…}` within 5 s. Never a query string. The server then sends `{"type":"authenticated",…}` and `{"type":"cart","cart":…}` on every change, and closes the socket with a documented code within 1 s of the end of its credential. docs/websocket.md has the protocol, the close codes and the limits.',
  security: AUTHENTICATED,
  parameters: [
    {
      name: 'Sec-WebSocket-Protocol',
      in: 'header',
      required: true,
      description: '`cart.v1`, and optionally `bearer.<access token>` after it.',
      schema: { type: 'string' },
      example: 'cart.v1',
    },
  ],
  responses: {
    '101': { description: 'Switching to the WebSocket protocol; the server answers `cart.v1`.' },
    ...problemResponses(
      ...AUTHENTICATED_PROBLEMS,
      'forbidden_origin',
      'bad_request',
      'rate_limited',
      'store_unavailable',
    ),
  },
};

/** The proxy's routes (`GatewayProxy`), described by hand: they are Fastify's, not Nest's. */
export const GATEWAY_PROXY_PATHS: Readonly<Record<string, PathItemObject>> = {
  '/api/auth/{path}': {
    get: forwardedToAuth('get'),
    post: forwardedToAuth('post'),
    delete: forwardedToAuth('delete'),
  },
  '/api/cart': {
    get: forwardedToCart('get', '/cart', 'The cart (forwarded to CART)', false),
    delete: forwardedToCart('delete', '/cart', 'Empty the cart (forwarded to CART)', true),
  },
  '/api/cart/events': { get: liveCartHandshake },
  '/api/cart/items/{sku}': {
    put: forwardedToCart('put', '/cart/items/{sku}', 'Set a quantity (forwarded to CART)', true),
    delete: forwardedToCart(
      'delete',
      '/cart/items/{sku}',
      'Remove an item (forwarded to CART)',
      true,
    ),
  },
};

/** `GET /api/me`. */
export class GatewayMeDto {
  @ApiProperty({ example: '0b6a8f7e-3c1d-4e2f-9a8b-7c6d5e4f3a2b' })
  readonly userId!: string;

  @ApiProperty({
    enum: ['session', 'bearer', 'dpop'],
    description: 'How the gateway authenticated you: `dpop` for an access token bound to a key.',
  })
  readonly method!: string;

  @ApiProperty({
    description:
      'Sessions only: the session is bound to a device key (DBSC) and its bound cookie was checked.',
    required: false,
  })
  readonly deviceBound?: boolean;
}

@ApiTags('identity')
@Controller('api')
export class MeController {
  /** Who the gateway says you are, and how it knows. */
  @Get('me')
  @ApiOperation({ summary: 'Who the gateway says you are, and how it knows' })
  @ApiAuthenticated()
  @ApiOkResponse({ type: GatewayMeDto })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  me(@CurrentIdentity() identity: Identity): GatewayMeDto {
    return {
      userId: identity.userId,
      method: identity.method,
      ...(identity.method === 'session' ? { deviceBound: identity.deviceBound === true } : {}),
    };
  }
}

/** The gateway's public key, for upstreams verifying its identity tokens. */
@ApiTags('keys')
@Controller('.well-known')
export class GatewayJwksController {
  constructor(@Inject(IDENTITY_KEY) private readonly key: SigningKey) {}

  @Public()
  @Get('jwks.json')
  @ApiOperation({
    summary: "The gateway's public key",
    description: 'CART verifies the identity tokens the gateway signs with it.',
  })
  @ApiOkResponse({ type: JwksDto })
  jwks(@Res({ passthrough: true }) reply: FastifyReply): { keys: PublicJwk[] } {
    reply.header('cache-control', 'public, max-age=60');
    return { keys: [this.key.jwk] };
  }
}
