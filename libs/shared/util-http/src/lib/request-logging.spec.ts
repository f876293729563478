import type { IncomingMessage } from 'node:http';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { createLogger } from './logger';
import { logRequests, requestIdGenerator } from './request-logging';
import type { RequestIdSource } from './request-logging';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function incoming(peer: string | undefined, requestId?: string): IncomingMessage {
  return {
    headers: requestId === undefined ? {} : { 'x-request-id': requestId },
    socket: { remoteAddress: peer },
  } as unknown as IncomingMessage;
}

/** `kept` when the generator returned the caller's id, `new` when it made a UUID. */
function outcome(source: RequestIdSource, peer: string | undefined, requestId: string): string {
  const id = requestIdGenerator(source)(incoming(peer, requestId));
  if (id === requestId) return 'kept';
  return UUID.test(id) ? 'new' : `unexpected ${id}`;
}

describe(requestIdGenerator.name, () => {
  describe('when anyone may name the request id (the services behind the gateway)', () => {
    it.each([
      ['a well-formed id from loopback', '127.0.0.1', 'abc-123', 'kept'],
      ['a well-formed id from any address', '203.0.113.9', 'abc.123:x_y', 'kept'],
      ['an id with a line break (log forging)', '127.0.0.1', 'abc\n{"level":60}', 'new'],
      ['an id with a space', '127.0.0.1', 'abc def', 'new'],
      ['an id longer than 128 characters', '127.0.0.1', 'a'.repeat(129), 'new'],
      ['an empty id', '127.0.0.1', '', 'new'],
    ])('%s (from %s) → %s', (_case, peer, requestId, expected) => {
      expect(outcome('anyone', peer, requestId)).toBe(expected);
    });

    it('makes a new id when none was sent', () => {
      expect(requestIdGenerator('anyone')(incoming('127.0.0.1'))).toMatch(UUID);
    });
  });

  describe('when only trusted proxies may name it (the gateway, the edge)', () => {
    it.each([
      ['10.0.0.0/8', '10.1.2.3', 'kept'],
      ['10.0.0.0/8', '::ffff:10.1.2.3', 'kept'],
      ['10.0.0.0/8', '127.0.0.1', 'new'],
      ['10.0.0.0/8', '11.0.0.1', 'new'],
      ['203.0.113.0/24', '127.0.0.1', 'new'],
      ['loopback', '127.0.0.1', 'kept'],
      ['loopback', '::1', 'kept'],
      ['loopback', '::ffff:127.0.0.1', 'kept'],
      ['loopback', '198.51.100.7', 'new'],
      ['uniquelocal', '192.168.1.10', 'kept'],
      ['192.0.2.1,loopback', '192.0.2.1', 'kept'],
      ['192.0.2.1,loopback', '192.0.2.2', 'new'],
    ])('TRUSTED_PROXIES=%s, peer %s → %s', (proxies, peer, expected) => {
      expect(outcome({ trustedProxies: proxies.split(',') }, peer, 'abc')).toBe(expected);
    });

    it('trusts nobody with an empty list', () => {
      expect(outcome({ trustedProxies: [] }, '127.0.0.1', 'abc')).toBe('new');
    });

    it('makes a new id when the peer address is unknown (the socket already closed)', () => {
      expect(outcome({ trustedProxies: ['loopback'] }, undefined, 'abc')).toBe('new');
    });

    it('still refuses a malformed id from a trusted proxy', () => {
      expect(outcome({ trustedProxies: ['loopback'] }, '127.0.0.1', 'a b')).toBe('new');
    });
  });
});

describe(logRequests.name, () => {
  /** An app with three routes, and the lines its request log wrote so far. */
  async function served(): Promise<{
    app: FastifyInstance;
    lines: () => Record<string, unknown>[];
  }> {
    const writes: string[] = [];
    const logger = await createLogger({
      format: 'json',
      destination: { write: (text: string) => writes.push(text) },
    });
    const app = Fastify();
    logRequests(app, logger);
    app.get('/cart', async () => ({ items: [] }));
    app.get('/boom', async (_request, reply) => reply.code(503).send());
    app.get('/health/live', async () => ({ status: 'ok' }));
    await app.ready();
    return { app, lines: () => writes.map((text) => JSON.parse(text) as Record<string, unknown>) };
  }

  it('writes one line per request with its id, method, path, user agent, status and time', async () => {
    const { app, lines } = await served();
    await app.inject({
      url: '/cart?access_token=secret',
      headers: { 'user-agent': 'test-agent', authorization: 'Bearer secret' },
    });
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      req: { id: expect.any(String), method: 'GET', path: '/cart', userAgent: 'test-agent' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
    expect(JSON.stringify(lines())).not.toContain('secret');
  });

  it('writes a server error at `error`', async () => {
    const { app, lines } = await served();
    await app.inject({ url: '/boom' });
    expect(lines()[0]).toMatchObject({ level: 'error', res: { statusCode: 503 } });
  });

  it('leaves the health checks out', async () => {
    const { app, lines } = await served();
    await app.inject({ url: '/health/live' });
    await app.inject({ url: '/health/live?x=1' });
    expect(lines()).toEqual([]);
  });
});
