import { EventEmitter } from 'node:events';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { LiveSocket } from './live-socket';

/** The part of a `ws` socket that `LiveSocket` uses, recording what it was asked. */
class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: [number, string] | undefined;
  terminated = false;

  send(text: string): void {
    this.sent.push(text);
  }

  close(code: number, reason: string): void {
    this.closedWith = [code, reason];
  }

  terminate(): void {
    this.terminated = true;
  }
}

const MAX_BUFFERED = 1000;

function liveSocket(): { ws: FakeWs; socket: LiveSocket } {
  const ws = new FakeWs();
  const socket = new LiveSocket(ws as unknown as WebSocket, {} as FastifyRequest, MAX_BUFFERED);
  return { ws, socket };
}

const cart = { type: 'cart', cart: { items: [], updatedAt: null } } as const;

describe(LiveSocket.name, () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('sends while what waits unsent stays under the cap', () => {
    const { ws, socket } = liveSocket();
    ws.bufferedAmount = MAX_BUFFERED - 100;

    socket.send(cart);

    expect(ws.sent).toEqual([JSON.stringify(cart)]);
  });

  describe('when the client reads too slowly (a slow consumer)', () => {
    it('closes with 4008 instead of buffering past the cap, and sends nothing more', () => {
      const { ws, socket } = liveSocket();
      ws.bufferedAmount = MAX_BUFFERED - 10;

      socket.send(cart);
      socket.send(cart);

      expect(ws.sent).toEqual([]);
      expect(ws.closedWith).toEqual([4008, 'slowConsumer']);
    });

    it('cuts the connection when the closing handshake has not finished 1 s later', () => {
      const { ws, socket } = liveSocket();
      ws.bufferedAmount = MAX_BUFFERED + 1;

      socket.send(cart);
      jest.advanceTimersByTime(999);
      const before = ws.terminated;
      jest.advanceTimersByTime(1);

      expect({ before, after: ws.terminated }).toEqual({ before: false, after: true });
    });
  });

  it('closes once, with the first reason given', () => {
    const { ws, socket } = liveSocket();

    socket.end('tokenRevoked');
    socket.end('tokenExpired');

    expect(ws.closedWith).toEqual([4003, 'tokenRevoked']);
  });

  it('counts a pong as a sign of life', () => {
    const { ws, socket } = liveSocket();
    socket.alive = false;

    ws.emit('pong');

    expect(socket.alive).toBe(true);
  });
});
