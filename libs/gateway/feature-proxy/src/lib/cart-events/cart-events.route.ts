import { ServerResponse } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WebSocketServer } from 'ws';
import type { AuthnOptions } from '@svt/shared/feature-authn';
import {
  AUTHN_OPTIONS,
  AuthnPipeline,
  boundCookieName,
  SESSION_COOKIE_NAME,
} from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { TokenScheme } from '@svt/shared/util-http';
import { sendProblem } from '@svt/shared/util-http';
import { sha256Hex } from '@svt/shared/util-security';
import type { GatewayConfig } from '../gateway.config';
import { GATEWAY_CONFIG } from '../gateway.tokens';
import { CART_EVENTS_PROTOCOL } from './cart-events.messages';
import {
  asBearerRequest,
  assertCookieOrigin,
  assertWellFormedHandshake,
  handshakeCredential,
  offeredProtocols,
} from './handshake-credential';
import { LiveCarts } from './live-carts';
import type { SocketCredential } from './live-socket';

/** Where the live cart is served. */
export const CART_EVENTS_PATH = '/api/cart/events';

/**
 * How long an upgrade request may take to be answered: off Node's HTTP
 * parser, its connection has no request timeout of its own (`ws` clears this
 * one once it takes the connection over).
 */
const HANDSHAKE_TIMEOUT_MS = 10_000;

/** The connection of an upgrade request, kept until its route answers. */
interface PendingUpgrade {
  readonly socket: Duplex;
  readonly head: Buffer;
}

/**
 * `GET /api/cart/events`, the live cart, as a WebSocket (RFC 6455) served by
 * `ws` on the gateway's own server. Every upgrade request is routed through
 * Fastify like any request (request id, hooks, cookies, the request log), so
 * the handshake is an ordinary route: it authenticates with the pipeline and
 * refuses with a real HTTP answer (a problem, 401/403/429/400) before any
 * upgrade; only a handshake it accepts is handed to `ws`. See
 * docs/websocket.md for the protocol.
 */
@Injectable()
export class CartEventsRoute {
  private readonly wss: WebSocketServer;
  private readonly pending = new WeakMap<IncomingMessage, PendingUpgrade>();
  private readonly allowedOrigins: ReadonlySet<string>;

  constructor(
    private readonly pipeline: AuthnPipeline,
    private readonly liveCarts: LiveCarts,
    @Inject(AUTHN_OPTIONS) authn: AuthnOptions,
    @Inject(SESSION_COOKIE_NAME) private readonly sessionCookieName: string,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.allowedOrigins = new Set(authn.allowedOrigins);
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      // A bigger message is closed with 1009 before it is buffered whole.
      maxPayload: config.CART_EVENTS_MAX_MESSAGE_BYTES,
      // No compression: carts are small, and compressing secrets next to
      // attacker-influenced data is how CRIME-style attacks read them.
      perMessageDeflate: false,
      // Only `cart.v1` is ever answered: the `bearer.<token>` offer is never echoed.
      handleProtocols: (protocols) =>
        protocols.has(CART_EVENTS_PROTOCOL) ? CART_EVENTS_PROTOCOL : false,
    });
  }

  /** Adds the route and the server's `upgrade` listener; `tokenScheme` is the one 401s challenge with. */
  register(fastify: FastifyInstance, tokenScheme: TokenScheme): void {
    fastify.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.route(fastify, request, socket, head),
    );
    // Before the server stops listening, which waits for every connection.
    fastify.addHook('preClose', () => this.liveCarts.closeAll());
    fastify.get(CART_EVENTS_PATH, async (request, reply) => {
      try {
        await this.handshake(request, reply);
      } catch (error) {
        sendProblem(request, reply, error, tokenScheme);
      }
    });
  }

  /**
   * Node hands every upgrade request (any path) to this listener, off its
   * HTTP parser: Fastify routes it with a response written straight to the
   * connection. Any answer but an accepted handshake ends the connection.
   */
  private route(fastify: FastifyInstance, request: IncomingMessage, socket: Duplex, head: Buffer) {
    // A connection reset before the answer must not become an uncaught error.
    socket.on('error', () => socket.destroy());
    socket.once('timeout', () => socket.destroy());
    if (socket instanceof Socket) socket.setTimeout(HANDSHAKE_TIMEOUT_MS);
    this.pending.set(request, { socket, head });
    const response = new ServerResponse(request);
    response.assignSocket(socket as never);
    response.on('finish', () => socket.end());
    fastify.routing(request, response);
  }

  private async handshake(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const upgrade = this.pending.get(request.raw);
    if (upgrade === undefined) {
      throw new AppError(
        'bad_request',
        'This is a WebSocket: open it with a WebSocket handshake (GET with Upgrade: websocket).',
      );
    }
    const protocols = offeredProtocols(request);
    assertWellFormedHandshake(request, protocols);
    const credential = await this.authenticate(request, protocols);
    if (credential && !this.liveCarts.hasRoomFor(credential.identity.userId)) {
      throw new AppError(
        'rate_limited',
        'This user has the most live carts open that one server allows: close one first.',
      );
    }
    reply.hijack();
    this.wss.handleUpgrade(request.raw, upgrade.socket, upgrade.head, (ws) =>
      this.liveCarts.accept(ws, request, credential),
    );
  }

  /**
   * The handshake's credential, through the pipeline in the order of any
   * HTTP request; `undefined` when it carries none (an `auth` message is to
   * follow). Throws the refusal to answer with.
   */
  private async authenticate(
    request: FastifyRequest,
    protocols: string[],
  ): Promise<SocketCredential | undefined> {
    const credential = handshakeCredential(request, protocols, this.sessionCookieName);
    if (credential.kind === 'none') return undefined;
    if (credential.kind === 'protocol-token') {
      return {
        identity: await this.pipeline.authenticate(asBearerRequest(request, credential.token)),
      };
    }
    // Before the lookup: a hijacking page must not even slide the session.
    if (credential.cookieOnly) assertCookieOrigin(request, this.allowedOrigins);
    const identity = await this.pipeline.authenticate(request);
    if (identity.credential !== 'session-cookie') return { identity };
    assertCookieOrigin(request, this.allowedOrigins);
    const secret = request.cookies[this.sessionCookieName] ?? '';
    const bound = identity.deviceBound
      ? {
          boundCookieHash: sha256Hex(
            request.cookies[boundCookieName(this.sessionCookieName)] ?? '',
          ),
        }
      : {};
    return { identity, sessionIdHash: sha256Hex(secret), ...bound };
  }
}
