import type { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type {
  CartChangeFeed,
  Denylist,
  Following,
  SessionRecord,
  SessionStore,
} from '@svt/shared/data-access-sessions';
import {
  CART_CHANGE_FEED,
  DENYLIST,
  hasLiveBoundCookie,
  SESSION_STORE,
  sessionEndsAt,
} from '@svt/shared/data-access-sessions';
import { describeError } from '@svt/shared/data-access-sql';
import { AuthnPipeline, IDENTITY_TOKEN_HEADER } from '@svt/shared/feature-authn';
import type { Identity } from '@svt/shared/feature-authn';
import { AppError } from '@svt/shared/util-errors';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';
import type { GatewayConfig } from '../gateway.config';
import { CART_UPSTREAM, GATEWAY_CONFIG, IDENTITY_SIGNER } from '../gateway.tokens';
import type { IdentityTokenSigner } from '../identity-token.signer';
import type { Upstream } from '../upstream';
import type { CartEventsCloseReason } from './cart-events.close-codes';
import { parseClientMessage } from './cart-events.messages';
import { liveCartCheckDuration, liveCartSockets } from './cart-events.metrics';
import { asBearerRequest } from './handshake-credential';
import { LiveSocket } from './live-socket';
import type { SocketCredential } from './live-socket';

/** Answers that say the pipeline could not decide (a store or key set down), not that the token is bad. */
const UNDECIDED = new Set(['store_unavailable', 'upstream_unavailable']);

/**
 * The open live cart sockets of this gateway replica, by user: it pushes a
 * user's cart to them whenever the cart service announces a change (from
 * any replica, through the shared store's cart change feed), and closes each
 * one once its credential ends.
 *
 * Credentials are checked again on one timer for all sockets, every
 * CART_EVENTS_CHECK_INTERVAL_MS (250 ms by default), in one batch: a cookie
 * socket's session is looked up in the session store (gone after a logout,
 * a logout-all, a password change or a revocation; ended by its idle or
 * absolute timeout), a token socket's `sid` is looked up in the denylist
 * mirror (from memory, no I/O, while the revocation feed is live) and its
 * `exp` is compared with the clock. A revocation thus closes a socket
 * within the feed's delivery (at once on Redis, a 200 ms poll on SQLite)
 * plus one interval, inside the 1 s the issue allows. docs/websocket.md
 * explains why a timer rather than events.
 */
@Injectable()
export class LiveCarts implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('LiveCarts');
  private readonly byUser = new Map<string, Set<LiveSocket>>();
  /** Opened without a credential: waiting for their `auth` message. */
  private readonly unauthenticated = new Set<LiveSocket>();
  /** Users whose cart is being fetched; `true` when a change came meanwhile (fetch again). */
  private readonly fetching = new Map<string, boolean>();
  private readonly now: () => number;
  private following: Following | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(CART_UPSTREAM) private readonly cart: Upstream,
    @Inject(IDENTITY_SIGNER) private readonly signer: IdentityTokenSigner,
    @Inject(SESSION_STORE) private readonly sessions: SessionStore,
    @Inject(DENYLIST) private readonly denylist: Denylist,
    @Inject(CART_CHANGE_FEED) private readonly changes: CartChangeFeed,
    private readonly pipeline: AuthnPipeline,
    @Optional() @Inject(CLOCK) clock?: Clock,
  ) {
    this.now = clock ? () => clock.now() : Date.now;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.following = await this.changes.follow({
      changed: (userId) => this.refresh(userId),
      lost: () =>
        this.logger.warn('Lost the cart change feed: live carts may lag until it resumes'),
      // Changes made in the gap were not delivered: every live cart is fetched again.
      resumed: () => {
        for (const userId of this.byUser.keys()) this.refresh(userId);
      },
    });
    this.checkTimer = setInterval(
      () => void this.checkCredentials(),
      this.config.CART_EVENTS_CHECK_INTERVAL_MS,
    );
    this.pingTimer = setInterval(() => this.ping(), this.config.CART_EVENTS_PING_INTERVAL_MS);
    this.checkTimer.unref();
    this.pingTimer.unref();
  }

  /**
   * Closes every socket with 1001 (going away) and resolves once all are
   * closed (at most the 1 s close grace), and stops following. The server
   * calls it before it stops listening: it waits for every connection,
   * upgraded ones included, and an open socket would hold it. Idempotent.
   */
  closeAll(): Promise<void> {
    clearInterval(this.checkTimer);
    clearInterval(this.pingTimer);
    const closed = [...this.all()].map(
      (socket) =>
        new Promise<void>((resolve) => {
          if (socket.ws.readyState === socket.ws.CLOSED) return resolve();
          socket.ws.once('close', () => resolve());
          socket.end('goingAway');
        }),
    );
    return Promise.all([...closed, this.following?.stop()]).then(() => undefined);
  }

  /** The same, for a Nest application closed without its server (tests). */
  beforeApplicationShutdown(): Promise<void> {
    return this.closeAll();
  }

  /** Whether `userId` may open one more socket here (CART_EVENTS_MAX_SOCKETS_PER_USER, per replica). */
  hasRoomFor(userId: string): boolean {
    return (this.byUser.get(userId)?.size ?? 0) < this.config.CART_EVENTS_MAX_SOCKETS_PER_USER;
  }

  /**
   * Takes over a socket just upgraded: authenticated by the handshake
   * (`credential`), or waiting for an `auth` message until
   * CART_EVENTS_AUTH_TIMEOUT_MS.
   */
  accept(ws: WebSocket, handshake: FastifyRequest, credential: SocketCredential | undefined): void {
    const socket = new LiveSocket(ws, handshake, this.config.CART_EVENTS_MAX_BUFFERED_BYTES);
    liveCartSockets.inc();
    ws.on('error', (error) => this.logger.debug(`socket error: ${error.message}`));
    ws.on('close', () => this.forget(socket));
    ws.on('message', (data, isBinary) => {
      socket.queue = socket.queue.then(() => this.onMessage(socket, data, isBinary));
    });
    if (credential) {
      this.admit(socket, credential);
      return;
    }
    this.unauthenticated.add(socket);
    setTimeout(() => {
      if (socket.credential === undefined) socket.end('authTimeout');
    }, this.config.CART_EVENTS_AUTH_TIMEOUT_MS).unref();
  }

  private admit(socket: LiveSocket, credential: SocketCredential): void {
    const userId = credential.identity.userId;
    socket.credential = credential;
    this.unauthenticated.delete(socket);
    let sockets = this.byUser.get(userId);
    if (!sockets) this.byUser.set(userId, (sockets = new Set()));
    sockets.add(socket);
    this.confirm(socket, credential.identity);
    this.refresh(userId);
  }

  private confirm(socket: LiveSocket, identity: Identity): void {
    socket.send({
      type: 'authenticated',
      method: identity.method,
      expiresAt: new Date(identity.expiresAt).toISOString(),
    });
  }

  private forget(socket: LiveSocket): void {
    liveCartSockets.dec();
    this.unauthenticated.delete(socket);
    const userId = socket.userId;
    if (userId === undefined) return;
    const sockets = this.byUser.get(userId);
    sockets?.delete(socket);
    if (sockets?.size === 0) this.byUser.delete(userId);
  }

  private *all(): Iterable<LiveSocket> {
    yield* this.unauthenticated;
    for (const sockets of this.byUser.values()) yield* sockets;
  }

  /** The protocol has one client message, `{type: "auth", token}`: anything else closes the socket. */
  private async onMessage(socket: LiveSocket, data: RawData, isBinary: boolean): Promise<void> {
    if (socket.closing) return;
    if (isBinary) return socket.end('unsupportedData');
    const message = parseClientMessage(data.toString());
    if (message === null) return socket.end('policyViolation');
    await this.onAuth(socket, message.token);
  }

  /**
   * Authenticates a socket opened without a credential, or re-authenticates
   * a token socket before its `exp` (same user only; a cookie socket lives
   * by its session and takes no token). The token meets the checks of an
   * HTTP Bearer request.
   */
  private async onAuth(socket: LiveSocket, token: string): Promise<void> {
    if (socket.credential?.sessionIdHash !== undefined) return socket.end('policyViolation');
    let identity: Identity;
    try {
      identity = await this.pipeline.authenticate(asBearerRequest(socket.handshake, token));
    } catch (error) {
      const undecided = error instanceof AppError && UNDECIDED.has(error.code);
      return socket.end(undecided ? 'internalError' : 'authFailed');
    }
    if (socket.closing) return;
    if (socket.credential === undefined) {
      if (!this.hasRoomFor(identity.userId)) return socket.end('tooManySockets');
      return this.admit(socket, { identity });
    }
    if (identity.userId !== socket.userId) return socket.end('authFailed');
    socket.credential.identity = identity;
    this.confirm(socket, identity);
  }

  /** One batch: every authenticated socket's credential, checked again; no two batches overlap. */
  private async checkCredentials(): Promise<void> {
    if (this.checking) return;
    this.checking = true;
    const end = liveCartCheckDuration.startTimer();
    try {
      const now = this.now();
      // Tabs of one browser share a session: it is read once per batch, not once per socket.
      const sessions = new Map<string, Promise<SessionRecord | null>>();
      const findSession = (idHash: string): Promise<SessionRecord | null> => {
        let found = sessions.get(idHash);
        if (!found) sessions.set(idHash, (found = this.sessions.find(idHash)));
        return found;
      };
      const checks = [];
      for (const sockets of this.byUser.values()) {
        for (const socket of sockets) checks.push(this.check(socket, now, findSession));
      }
      await Promise.all(checks);
    } finally {
      end();
      this.checking = false;
    }
  }

  private async check(
    socket: LiveSocket,
    now: number,
    findSession: (idHash: string) => Promise<SessionRecord | null>,
  ): Promise<void> {
    const credential = socket.credential;
    if (credential === undefined || socket.closing) return;
    let ended: CartEventsCloseReason | null;
    try {
      ended = await this.verdict(credential, now, findSession);
    } catch (error) {
      // Fail closed: a credential that cannot be checked keeps no socket open.
      this.logger.warn(`Could not check a live cart's credential: ${describeError(error)}`);
      ended = 'internalError';
    }
    if (ended) socket.end(ended);
  }

  /** Why the credential has ended, or null while it holds. */
  private async verdict(
    credential: SocketCredential,
    now: number,
    findSession: (idHash: string) => Promise<SessionRecord | null>,
  ): Promise<CartEventsCloseReason | null> {
    const { identity, sessionIdHash, boundCookieHash } = credential;
    if (sessionIdHash !== undefined) {
      const session = await findSession(sessionIdHash);
      if (!session) return now >= identity.expiresAt ? 'sessionExpired' : 'sessionEnded';
      // A copied cookie jar opens a socket only until its bound cookie expires,
      // and keeps it no longer: the page reconnects with the renewed cookie.
      const binding = session.deviceBinding;
      if (
        boundCookieHash !== undefined &&
        !(binding && hasLiveBoundCookie(binding, boundCookieHash, now))
      ) {
        return 'boundCookieExpired';
      }
      credential.identity = { ...identity, expiresAt: sessionEndsAt(session) };
      return null;
    }
    if (now >= identity.expiresAt) return 'tokenExpired';
    const denied =
      this.denylist.isDeniedFromMemory?.(identity.sessionId) ??
      (await this.denylist.isDenied(identity.sessionId));
    return denied ? 'tokenRevoked' : null;
  }

  /** RFC 6455 §5.5.2: a socket that did not answer the last ping is gone; it is cut. */
  private ping(): void {
    for (const socket of this.all()) {
      if (!socket.alive) {
        socket.cut();
        continue;
      }
      socket.alive = false;
      socket.ws.ping();
    }
  }

  /**
   * Fetches the user's cart from CART and pushes it to the user's sockets;
   * changes that arrive meanwhile are one more fetch, not one each.
   */
  private refresh(userId: string): void {
    if (!this.byUser.has(userId)) return;
    if (this.fetching.has(userId)) {
      this.fetching.set(userId, true);
      return;
    }
    this.fetching.set(userId, false);
    void this.push(userId).finally(() => this.fetching.delete(userId));
  }

  private async push(userId: string): Promise<void> {
    do {
      this.fetching.set(userId, false);
      const sockets = this.byUser.get(userId);
      const holder = sockets && [...sockets].find((socket) => !socket.closing);
      if (!holder?.credential) return;
      try {
        const cart = await this.fetchCart(holder.credential.identity);
        if (cart !== undefined) {
          for (const socket of this.byUser.get(userId) ?? []) socket.send({ type: 'cart', cart });
        }
      } catch (error) {
        this.logger.warn(`Could not fetch a live cart: ${describeError(error)}`);
      }
    } while (this.fetching.get(userId) === true);
  }

  /** The cart as CART answers it to the gateway's identity token for `identity`; undefined when refused. */
  private async fetchCart(identity: Identity): Promise<unknown> {
    const { status, body } = await this.cart.getJson('/cart', {
      accept: 'application/json',
      [IDENTITY_TOKEN_HEADER]: this.signer.sign(identity, this.config.CART_ORIGIN),
    });
    if (status === 200) return body;
    // A credential that has just ended (refused by CART's denylist) closes at the next check.
    this.logger.warn(`CART answered ${status} to a live cart's fetch`);
    return undefined;
  }
}
