import { EventEmitter } from 'node:events';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import {
  MemoryCartChangeFeed,
  MemoryDenylist,
  MemorySessionStore,
  newSession,
} from '@svt/shared/data-access-sessions';
import type { AuthnPipeline, Identity } from '@svt/shared/feature-authn';
import type { GatewayConfig } from '../gateway.config';
import type { IdentityTokenSigner } from '../identity-token.signer';
import type { Upstream } from '../upstream';
import { LiveCarts } from './live-carts';

const INTERVAL = 250;
const CONFIG = {
  CART_EVENTS_CHECK_INTERVAL_MS: INTERVAL,
  CART_EVENTS_PING_INTERVAL_MS: 30_000,
  CART_EVENTS_MAX_BUFFERED_BYTES: 1_000_000,
  CART_EVENTS_AUTH_TIMEOUT_MS: 5000,
  CART_EVENTS_MAX_SOCKETS_PER_USER: 2,
  CART_ORIGIN: 'http://cart.localhost:8082',
} as GatewayConfig;

/** The part of a `ws` socket the live carts use, recording what it was sent and how it closed. */
class FakeWs extends EventEmitter {
  readonly OPEN = 1;
  readonly CLOSED = 3;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: { type: string }[] = [];
  closeCode: number | undefined;

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }

  close(code: number): void {
    this.closeCode ??= code;
    this.finish();
  }

  terminate(): void {
    this.closeCode ??= 1006;
    this.finish();
  }

  ping(): void {
    // Pongs are the client's: these tests never miss one.
  }

  private finish(): void {
    if (this.readyState === this.CLOSED) return;
    this.readyState = this.CLOSED;
    this.emit('close');
  }
}

const MINUTE = 60_000;

async function setUp() {
  const sessions = new MemorySessionStore();
  const denylist = new MemoryDenylist();
  const changes = new MemoryCartChangeFeed();
  let fetches = 0;
  let cart: unknown = { items: [], updatedAt: null };
  const upstream = {
    getJson: async () => {
      fetches++;
      return { status: 200, body: cart };
    },
  } as unknown as Upstream;
  const signer = { sign: () => 'identity-token' } as unknown as IdentityTokenSigner;
  const pipeline = { authenticate: jest.fn() } as unknown as AuthnPipeline & {
    authenticate: jest.Mock;
  };
  const liveCarts = new LiveCarts(CONFIG, upstream, signer, sessions, denylist, changes, pipeline);
  await liveCarts.onApplicationBootstrap();
  const open = (credential?: Parameters<LiveCarts['accept']>[2]): FakeWs => {
    const ws = new FakeWs();
    liveCarts.accept(ws as unknown as WebSocket, {} as FastifyRequest, credential);
    return ws;
  };
  return {
    sessions,
    denylist,
    changes,
    pipeline,
    liveCarts,
    open,
    fetches: () => fetches,
    setCart: (next: unknown) => (cart = next),
  };
}

function tokenIdentity(expiresAt: number, userId = 'user-1'): Identity {
  return { userId, sessionId: 'family-1', method: 'bearer', credential: 'bearer', expiresAt };
}

describe(LiveCarts.name, () => {
  let world: Awaited<ReturnType<typeof setUp>>;

  beforeEach(async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    world = await setUp();
  });

  afterEach(async () => {
    await world.liveCarts.closeAll();
    jest.useRealTimers();
  });

  it('sends authenticated, then the cart, to a socket authenticated at the handshake', async () => {
    const ws = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
    await jest.advanceTimersByTimeAsync(0);

    expect(ws.sent.map((message) => message.type)).toEqual(['authenticated', 'cart']);
  });

  describe('a cookie socket', () => {
    async function openOnSession(idleTtlSeconds = 600) {
      const { record } = newSession(
        {
          userId: 'user-1',
          ttlSeconds: 3600,
          idleTtlSeconds,
          client: { ip: null },
          credentialVersion: 0,
          ssoSid: null,
        },
        Date.now(),
      );
      await world.sessions.create(record);
      const identity: Identity = {
        userId: 'user-1',
        sessionId: record.handle,
        method: 'session',
        credential: 'session-cookie',
        expiresAt: Date.now() + idleTtlSeconds * 1000,
      };
      return { record, ws: world.open({ identity, sessionIdHash: record.idHash }) };
    }

    it('closes with 4001 at the first check after its session is deleted (a logout)', async () => {
      const { record, ws } = await openOnSession();
      await jest.advanceTimersByTimeAsync(INTERVAL);
      expect(ws.closeCode).toBeUndefined();

      await world.sessions.delete(record.idHash);
      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect(ws.closeCode).toBe(4001);
    });

    it('reads a session shared by two sockets (two tabs) once per check, and closes both when it ends', async () => {
      const { record, ws } = await openOnSession();
      const identity = {
        userId: 'user-1',
        sessionId: record.handle,
        method: 'session',
        credential: 'session-cookie',
        expiresAt: Date.now() + 600_000,
      } as const;
      const other = world.open({ identity, sessionIdHash: record.idHash });
      const find = jest.spyOn(world.sessions, 'find');

      await jest.advanceTimersByTimeAsync(INTERVAL);
      const reads = find.mock.calls.length;
      await world.sessions.delete(record.idHash);
      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect({ reads, codes: [ws.closeCode, other.closeCode] }).toEqual({
        reads: 1,
        codes: [4001, 4001],
      });
    });

    it('closes with 4002 at the first check after its idle end', async () => {
      const { ws } = await openOnSession(2);

      await jest.advanceTimersByTimeAsync(2000 - INTERVAL);
      const before = ws.closeCode;
      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect({ before, after: ws.closeCode }).toEqual({ before: undefined, after: 4002 });
    });

    it('of a device-bound session closes with 4006 when the bound cookie it came with expires, while the session lives on', async () => {
      const now = Date.now();
      const cookie = { value: 'ab'.repeat(32), expiresAt: now + 3 * INTERVAL };
      const { record } = newSession(
        {
          userId: 'user-1',
          ttlSeconds: 3600,
          idleTtlSeconds: 600,
          client: { ip: null },
          credentialVersion: 0,
          ssoSid: null,
          deviceBinding: {
            version: 2,
            key: { x: 'x', y: 'y' },
            challenges: [],
            cookies: [cookie],
            refreshes: 0,
          },
        },
        now,
      );
      await world.sessions.create(record);
      const identity: Identity = {
        userId: 'user-1',
        sessionId: record.handle,
        method: 'session',
        credential: 'session-cookie',
        expiresAt: now + 600_000,
        deviceBound: true,
      };
      const ws = world.open({
        identity,
        sessionIdHash: record.idHash,
        boundCookieHash: cookie.value,
      });

      await jest.advanceTimersByTimeAsync(2 * INTERVAL);
      const before = ws.closeCode;
      await jest.advanceTimersByTimeAsync(2 * INTERVAL);

      expect({ before, after: ws.closeCode }).toEqual({ before: undefined, after: 4006 });
      await expect(world.sessions.find(record.idHash)).resolves.not.toBeNull();
    });

    it('closes with 1011 when the session store cannot answer (fail closed)', async () => {
      const { ws } = await openOnSession();
      jest.spyOn(world.sessions, 'find').mockRejectedValue(new Error('Redis is down'));

      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect(ws.closeCode).toBe(1011);
    });

    it('takes no token in-band: an auth message closes it with 1008', async () => {
      const { ws } = await openOnSession();

      ws.emit('message', Buffer.from('{"type":"auth","token":"a.b.c"}'), false);
      await jest.advanceTimersByTimeAsync(0);

      expect(ws.closeCode).toBe(1008);
    });
  });

  describe('a token socket', () => {
    it('closes with 4004 at the first check at or after exp', async () => {
      const exp = Date.now() + 1000;
      const ws = world.open({ identity: tokenIdentity(exp) });

      await jest.advanceTimersByTimeAsync(1000 - 1);
      const before = ws.closeCode;
      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect({ before, after: ws.closeCode }).toEqual({ before: undefined, after: 4004 });
    });

    it('closes with 4003 at the first check after its sid is denied', async () => {
      const ws = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });

      await world.denylist.deny('family-1', Date.now() + MINUTE);
      await jest.advanceTimersByTimeAsync(INTERVAL);

      expect(ws.closeCode).toBe(4003);
    });

    it('lives until the new exp after re-authenticating in-band as the same user', async () => {
      const ws = world.open({ identity: tokenIdentity(Date.now() + 1000) });
      world.pipeline.authenticate.mockResolvedValue(tokenIdentity(Date.now() + 5000));

      ws.emit('message', Buffer.from('{"type":"auth","token":"a.b.c"}'), false);
      await jest.advanceTimersByTimeAsync(2000);

      expect(ws.closeCode).toBeUndefined();
      await jest.advanceTimersByTimeAsync(3000);
      expect(ws.closeCode).toBe(4004);
    });

    it('closes with 4005 when re-authenticated as another user', async () => {
      const ws = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
      world.pipeline.authenticate.mockResolvedValue(tokenIdentity(Date.now() + MINUTE, 'user-2'));

      ws.emit('message', Buffer.from('{"type":"auth","token":"a.b.c"}'), false);
      await jest.advanceTimersByTimeAsync(0);

      expect(ws.closeCode).toBe(4005);
    });
  });

  describe('a socket opened without a credential', () => {
    it('closes with 4000 when no auth message came within the deadline', async () => {
      const ws = world.open();

      await jest.advanceTimersByTimeAsync(CONFIG.CART_EVENTS_AUTH_TIMEOUT_MS);

      expect(ws.closeCode).toBe(4000);
      expect(ws.sent).toEqual([]);
    });

    it('closes with 4029 when its auth message names a user who has the most sockets open', async () => {
      world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
      world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
      const late = world.open();
      world.pipeline.authenticate.mockResolvedValue(tokenIdentity(Date.now() + MINUTE));

      late.emit('message', Buffer.from('{"type":"auth","token":"a.b.c"}'), false);
      await jest.advanceTimersByTimeAsync(0);

      expect(late.closeCode).toBe(4029);
      expect(world.liveCarts.hasRoomFor('user-1')).toBe(false);
    });
  });

  describe('pushes', () => {
    it('sends the new cart to every socket of the user on a change, fetched once', async () => {
      const first = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
      const second = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });
      await jest.advanceTimersByTimeAsync(0);
      const fetchesBefore = world.fetches();
      world.setCart({ items: [{ sku: 'tea', quantity: 1 }], updatedAt: 'now' });

      await world.changes.publish('user-1');
      await jest.advanceTimersByTimeAsync(0);

      expect(world.fetches() - fetchesBefore).toBe(1);
      for (const ws of [first, second]) {
        expect(ws.sent.at(-1)).toEqual({
          type: 'cart',
          cart: { items: [{ sku: 'tea', quantity: 1 }], updatedAt: 'now' },
        });
      }
    });

    it('fetches nothing for a user with no socket here', async () => {
      await world.changes.publish('user-elsewhere');
      await jest.advanceTimersByTimeAsync(0);

      expect(world.fetches()).toBe(0);
    });
  });

  it('closes every socket with 1001 on shutdown', async () => {
    const ws = world.open({ identity: tokenIdentity(Date.now() + MINUTE) });

    await world.liveCarts.closeAll();

    expect(ws.closeCode).toBe(1001);
  });
});
