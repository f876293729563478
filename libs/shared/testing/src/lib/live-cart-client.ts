import { WebSocket } from 'ws';
import type { JsonObject } from './http-client';

/** Where and how to open the live cart (`GET /api/cart/events` on the gateway). */
export interface LiveCartTarget {
  /** The gateway's listening port. */
  readonly port: number;
  /** The gateway's public origin: its host is sent as `Host`. */
  readonly origin: string;
}

export interface LiveCartOptions {
  /** The `Origin` header; omitted when undefined (a browser always sends one). */
  readonly origin?: string;
  /** The `Cookie` header, e.g. `__Host-Http-sid=<value>`. */
  readonly cookie?: string;
  /** Offered as the subprotocol `bearer.<token>`, after `cart.v1`. */
  readonly token?: string;
  /** The subprotocols, when the test needs another offer than `cart.v1` (+ the token). */
  readonly protocols?: readonly string[];
  /** The path with any query string (default `/api/cart/events`). */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** `false`: never answers the server's pings, as a vanished client would not (default true). */
  readonly autoPong?: boolean;
}

/** How a socket ended: its close code and reason, and when (epoch ms) the client saw it. */
export interface LiveCartClose {
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

/** An open live cart socket, recording what it receives. */
export interface LiveCart {
  readonly ws: WebSocket;
  /** The subprotocol the server chose. */
  readonly protocol: string;
  readonly messages: JsonObject[];
  /** The next message (or one already received and not yet taken) that `matches`. */
  next(matches: (message: JsonObject) => boolean, timeoutMs?: number): Promise<JsonObject>;
  send(message: unknown): void;
  /** Settles when the socket closes, however it closes. */
  readonly closed: Promise<LiveCartClose>;
}

/** A handshake the gateway refused with an HTTP answer instead of the upgrade. */
export class HandshakeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject | undefined,
    readonly headers: Readonly<Record<string, string | string[] | undefined>>,
  ) {
    super(`the handshake was refused with ${status}: ${JSON.stringify(body)}`);
  }
}

/**
 * Opens the live cart as a browser or a client would; resolves once open,
 * rejects with `HandshakeRefused` when the gateway answers with anything but
 * 101. Every message and the close are recorded from the first moment, so a
 * test that measures a close reads `closed`'s `at`.
 */
export function openLiveCart(
  target: LiveCartTarget,
  options: LiveCartOptions = {},
): Promise<LiveCart> {
  const protocols = [
    ...(options.protocols ?? ['cart.v1']),
    ...(options.token === undefined ? [] : [`bearer.${options.token}`]),
  ];
  const headers: Record<string, string> = {
    host: new URL(target.origin).host,
    ...(options.origin === undefined ? {} : { origin: options.origin }),
    ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
    ...options.headers,
  };
  const ws = new WebSocket(
    `ws://127.0.0.1:${target.port}${options.path ?? '/api/cart/events'}`,
    protocols,
    { headers, autoPong: options.autoPong ?? true },
  );
  const messages: JsonObject[] = [];
  const waiting = new Set<() => void>();
  const closed = new Promise<LiveCartClose>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString(), at: Date.now() });
      for (const wake of waiting) wake();
    });
  });
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()) as JsonObject);
    for (const wake of waiting) wake();
  });
  let taken = 0;
  const next = (matches: (message: JsonObject) => boolean, timeoutMs = 5000) =>
    new Promise<JsonObject>((resolve, reject) => {
      const look = (): boolean => {
        for (let i = taken; i < messages.length; i++) {
          if (matches(messages[i])) {
            taken = i + 1;
            resolve(messages[i]);
            return true;
          }
        }
        return false;
      };
      if (look()) return;
      const timer = setTimeout(() => {
        waiting.delete(wake);
        reject(
          new Error(`no such message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`),
        );
      }, timeoutMs);
      const wake = (): void => {
        const found = look();
        if (!found && ws.readyState !== ws.CLOSED) return;
        clearTimeout(timer);
        waiting.delete(wake);
        if (!found) reject(new Error(`closed first; got ${JSON.stringify(messages)}`));
      };
      waiting.add(wake);
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        protocol: ws.protocol,
        messages,
        next,
        send: (message) => ws.send(typeof message === 'string' ? message : JSON.stringify(message)),
        closed,
      }),
    );
    ws.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: JsonObject | undefined;
        try {
          body = text === '' ? undefined : (JSON.parse(text) as JsonObject);
        } catch {
          body = undefined;
        }
        reject(new HandshakeRefused(response.statusCode ?? 0, body, response.headers));
        ws.terminate();
      });
    });
    ws.once('error', (error) => reject(error));
  });
}

/** The refusal of a handshake that must be refused; throws when it opened instead. */
export async function refusedLiveCart(
  target: LiveCartTarget,
  options: LiveCartOptions = {},
): Promise<HandshakeRefused> {
  try {
    const opened = await openLiveCart(target, options);
    opened.ws.terminate();
  } catch (error) {
    if (error instanceof HandshakeRefused) return error;
    throw error;
  }
  throw new Error('the handshake was accepted, and should have been refused');
}
