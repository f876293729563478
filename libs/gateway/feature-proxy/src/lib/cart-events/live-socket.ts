import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { Identity } from '@svt/shared/feature-authn';
import { CART_EVENTS_CLOSE_CODES } from './cart-events.close-codes';
import type { CartEventsCloseReason } from './cart-events.close-codes';
import type { ServerMessage } from './cart-events.messages';
import { liveCartCloses } from './cart-events.metrics';

/**
 * How long a socket the server closed may take to finish the closing
 * handshake before it is cut: a client that stopped reading must not keep it
 * (nor hold back the server's shutdown).
 */
const CLOSE_GRACE_MS = 1000;

/** What keeps a socket open: the credential it was authenticated with. */
export interface SocketCredential {
  /** The identity as of the last check (a session's end moves while other requests slide it). */
  identity: Identity;
  /** Session cookies only: the session's store key, looked up on every check. */
  readonly sessionIdHash?: string;
  /**
   * Device-bound sessions only (DBSC): the hash of the bound cookie the
   * handshake carried. The socket lives no longer than that cookie.
   */
  readonly boundCookieHash?: string;
}

/** One live cart socket: its credential (none until an `auth` message), liveness, and bounded sending. */
export class LiveSocket {
  credential: SocketCredential | undefined;
  /** Whether a pong arrived since the last ping. */
  alive = true;
  /** Set once the server or the client started closing: nothing more is sent. */
  closing = false;
  /** Messages are handled one after the other (two `auth` messages must not race). */
  queue: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    /** The handshake request: `auth` messages run the pipeline on it, with their token. */
    readonly handshake: FastifyRequest,
    private readonly maxBufferedBytes: number,
  ) {
    ws.on('pong', () => (this.alive = true));
    ws.on('close', () => {
      if (!this.closing) liveCartCloses.inc({ reason: 'client' });
      this.closing = true;
    });
  }

  get userId(): string | undefined {
    return this.credential?.identity.userId;
  }

  /**
   * Sends unless the client has fallen behind: when what waits to be sent
   * would pass `maxBufferedBytes`, the socket is closed as a slow consumer
   * instead of buffering without bound.
   */
  send(message: ServerMessage): void {
    if (this.closing || this.ws.readyState !== this.ws.OPEN) return;
    const text = JSON.stringify(message);
    if (this.ws.bufferedAmount + Buffer.byteLength(text) > this.maxBufferedBytes) {
      this.end('slowConsumer');
      return;
    }
    this.ws.send(text);
  }

  /** Cuts the connection without a closing handshake: the client stopped answering pings. */
  cut(): void {
    if (!this.closing) liveCartCloses.inc({ reason: 'cut' });
    this.closing = true;
    this.ws.terminate();
  }

  /** Closes with the code of `reason`, and cuts the connection if the client does not answer in time. */
  end(reason: CartEventsCloseReason): void {
    if (this.closing) return;
    this.closing = true;
    liveCartCloses.inc({ reason });
    this.ws.close(CART_EVENTS_CLOSE_CODES[reason], reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}
