import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFaultProxy } from './fault-proxy';
import type { FaultProxy } from './fault-proxy';
import { findFreePorts } from './free-port';

interface TestClient {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  received(): string;
  /** Resolves once `text` has been received. */
  waitFor(text: string): Promise<void>;
  /** Sends `text` and resolves once it has come back. */
  echo(text: string): Promise<void>;
}

describe(startFaultProxy.name, () => {
  let echoServer: Server;
  const echoSockets = new Set<Socket>();
  let proxy: FaultProxy;
  const clients: TestClient[] = [];

  function connectClient(port = proxy.port): TestClient {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    let received = '';
    const waiters = new Set<() => void>();
    socket.on('data', (chunk: string) => {
      received += chunk;
      for (const waiter of waiters) waiter();
    });
    const client: TestClient = {
      socket,
      closed: new Promise((resolve) => socket.once('close', () => resolve())),
      received: () => received,
      waitFor: (text) =>
        new Promise((resolve) => {
          const check = (): void => {
            if (!received.includes(text)) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
      echo: (text) => {
        socket.write(text);
        return client.waitFor(text);
      },
    };
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    echoServer = createServer((socket) => {
      echoSockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => echoSockets.delete(socket));
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echoServer.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    for (const socket of echoSockets) socket.destroy();
    await new Promise((resolve) => echoServer.close(resolve));
  });

  beforeEach(async () => {
    const address = echoServer.address();
    if (address === null || typeof address === 'string')
      throw new Error('echo server not listening');
    proxy = await startFaultProxy({ host: '127.0.0.1', port: address.port });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.destroy();
    await proxy.close();
  });

  describe('in pass mode', () => {
    it('passes bytes both ways and counts the open connection', async () => {
      const client = connectClient();
      await client.echo('PING\r\n');
      await client.echo('SELECT 1;');
      expect(client.received()).toBe('PING\r\nSELECT 1;');
      expect(proxy.mode).toBe('pass');
      expect(proxy.connections).toBe(1);
      expect(proxy.host).toBe('127.0.0.1');
    });

    it.each([
      ['redis://:pw@127.0.0.1:6379/0', (port: number) => `redis://:pw@127.0.0.1:${port}/0`],
      [
        'postgres://u:p@localhost:5432/db?sslmode=disable',
        (port: number) => `postgres://u:p@127.0.0.1:${port}/db?sslmode=disable`,
      ],
    ])('rewrites %s to its own host and port, keeping everything else', (url, expected) => {
      expect(proxy.via(url)).toBe(expected(proxy.port));
    });

    it('rejects a URL without a host as a TypeError', () => {
      expect(() => proxy.via('mailto:ops@example.com')).toThrow(TypeError);
    });
  });

  describe('when cut', () => {
    it('drops open connections and refuses new ones until restored', async () => {
      const open = connectClient();
      await open.echo('before');

      proxy.cut();
      await open.closed;
      expect(proxy.mode).toBe('cut');
      expect(proxy.connections).toBe(0);

      const refused = connectClient();
      refused.socket.write('during');
      await refused.closed;
      expect(refused.received()).toBe('');

      proxy.restore();
      const reconnected = connectClient();
      await reconnected.echo('after');
      expect(proxy.mode).toBe('pass');
    });
  });

  describe('when slowed', () => {
    it('delays an echo round trip by at least the delay and keeps the byte order', async () => {
      const client = connectClient();
      await client.echo('warm;');

      proxy.slow(200);
      expect(proxy.mode).toBe('slow');
      const started = performance.now();
      for (const part of ['one;', 'two;', 'three;']) {
        client.socket.write(part);
        await sleep(20);
      }
      await client.waitFor('three;');
      expect(performance.now() - started).toBeGreaterThanOrEqual(200);
      expect(client.received()).toBe('warm;one;two;three;');

      proxy.restore();
      await client.echo('fast;');
      expect(proxy.connections).toBe(1);
    });

    it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])(
      'rejects a delay of %p ms as a TypeError',
      (ms) => {
        expect(() => proxy.slow(ms)).toThrow(TypeError);
        expect(proxy.mode).toBe('pass');
      },
    );
  });

  describe('when black-holed', () => {
    it('holds connections without forwarding, and a new connection echoes after restore', async () => {
      const open = connectClient();
      await open.echo('before;');

      proxy.blackhole();
      const held = connectClient();
      open.socket.write('lost;');
      held.socket.write('lost;');
      await sleep(300);
      expect(open.received()).toBe('before;');
      expect(held.received()).toBe('');
      expect(open.socket.destroyed).toBe(false);
      expect(held.socket.destroyed).toBe(false);
      expect(proxy.connections).toBe(2);

      proxy.restore();
      await connectClient().echo('after;');
    });
  });

  describe('when the target is down', () => {
    it('closes the client connection without crashing the process', async () => {
      const [unusedPort] = await findFreePorts(1);
      const orphan = await startFaultProxy({ host: '127.0.0.1', port: unusedPort });
      try {
        const client = connectClient(orphan.port);
        await client.closed;
        expect(client.received()).toBe('');
        expect(orphan.connections).toBe(0);
      } finally {
        await orphan.close();
      }
    });
  });

  describe('close()', () => {
    it('is idempotent, drops open connections and stops listening', async () => {
      const open = connectClient();
      await open.echo('hello');

      await Promise.all([proxy.close(), proxy.close()]);
      await proxy.close();
      await open.closed;
      expect(proxy.connections).toBe(0);

      const late = connectClient();
      const error = new Promise<unknown>((resolve) => late.socket.once('error', resolve));
      await expect(error).resolves.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });
});
