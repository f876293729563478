import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export type FaultMode = 'pass' | 'cut' | 'slow' | 'blackhole';

/**
 * A TCP proxy on 127.0.0.1 that a fault drill puts between a service and one
 * dependency (Redis, PostgreSQL) to cut, slow or black-hole it while traffic runs.
 */
export interface FaultProxy {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** The port it listens on (chosen by the OS). */
  readonly port: number;
  /** The current fault, for assertions. */
  readonly mode: FaultMode;
  /** Client connections the proxy currently holds. */
  readonly connections: number;
  /**
   * The same URL (scheme, credentials, path, query) with its host and port
   * replaced by the proxy's, e.g. for a service's `REDIS_URL` or `DATABASE_URL`.
   */
  via(url: string): string;
  /** Passes bytes both ways (the initial mode). Chunks still delayed by `slow()` are delivered in order. */
  restore(): void;
  /** Destroys every open connection (both sides) and, until `restore()`, destroys new ones as soon as accepted. */
  cut(): void;
  /** Keeps connections open but delays every chunk, in both directions, by `ms`; order is preserved. */
  slow(ms: number): void;
  /** Holds connections open but forwards nothing (data and end of stream are dropped), so clients time out. */
  blackhole(): void;
  /** Destroys every connection and stops listening. Idempotent. */
  close(): Promise<void>;
}

export interface FaultProxyTarget {
  readonly host: string;
  readonly port: number;
}

const LOOPBACK = '127.0.0.1';
const END_OF_STREAM = Symbol('end of stream');

interface Fault {
  mode: FaultMode;
  delayMs: number;
}

interface Queued {
  readonly data: Buffer | typeof END_OF_STREAM;
  readonly dueAt: number;
}

/** Starts a proxy to `target` on a free port of 127.0.0.1, in `pass` mode. */
export async function startFaultProxy(target: FaultProxyTarget): Promise<FaultProxy> {
  const fault: Fault = { mode: 'pass', delayMs: 0 };
  const links = new Set<Link>();
  const server = createServer({ allowHalfOpen: true }, (client) => {
    client.on('error', () => undefined);
    if (fault.mode === 'cut') {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const link = new Link(client, upstream, fault, () => links.delete(link));
    links.add(link);
  });
  // Errors after listening (e.g. EMFILE on accept) must not crash the test process.
  server.on('error', () => undefined);
  const port = await listen(server);

  const destroyAll = (): void => {
    for (const link of links) link.destroy();
    links.clear();
  };
  let closing: Promise<void> | undefined;

  return {
    host: LOOPBACK,
    port,
    get mode() {
      return fault.mode;
    },
    get connections() {
      return links.size;
    },
    via(url) {
      const parsed = new URL(url);
      if (parsed.host === '') throw new TypeError(`FaultProxy.via: URL has no host: ${url}`);
      parsed.hostname = LOOPBACK;
      parsed.port = String(port);
      return parsed.href;
    },
    restore() {
      fault.mode = 'pass';
    },
    cut() {
      fault.mode = 'cut';
      destroyAll();
    },
    slow(ms) {
      if (!Number.isFinite(ms) || ms < 0)
        throw new TypeError(`FaultProxy.slow: expected a delay >= 0 ms, got ${ms}`);
      fault.mode = 'slow';
      fault.delayMs = ms;
    },
    blackhole() {
      fault.mode = 'blackhole';
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

/** One client connection and its upstream connection. */
class Link {
  private readonly toUpstream: Direction;
  private readonly toClient: Direction;
  private openSockets = 2;
  private destroyed = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    fault: Fault,
    private readonly onGone: () => void,
  ) {
    // Redis and PostgreSQL exchange small request/response messages: Nagle would add latency.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.toUpstream = new Direction(client, upstream, fault);
    this.toClient = new Direction(upstream, client, fault);
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.destroy());
      // A clean close (both halves ended) may leave data queued for the other socket: let it flow.
      socket.on('close', () => {
        this.openSockets -= 1;
        if (this.openSockets === 0) this.destroy();
      });
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.toUpstream.dispose();
    this.toClient.dispose();
    this.client.destroy();
    this.upstream.destroy();
    this.onGone();
  }
}

/** Bytes (and the end of stream) from one socket to the other, with the current fault applied. */
class Direction {
  private readonly queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDueAt = 0;
  private waitingForDrain = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly fault: Fault,
  ) {
    from.on('data', (chunk: Buffer) => this.accept(chunk));
    from.on('end', () => this.accept(END_OF_STREAM));
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }

  private accept(data: Queued['data']): void {
    if (this.fault.mode === 'blackhole' || this.fault.mode === 'cut') return;
    const delayMs = this.fault.mode === 'slow' ? this.fault.delayMs : 0;
    if (delayMs === 0 && this.queue.length === 0) {
      this.deliver(data);
      return;
    }
    // Never before an earlier chunk, even when the delay was shortened meanwhile.
    const dueAt = Math.max(Date.now() + delayMs, this.lastDueAt);
    this.lastDueAt = dueAt;
    this.queue.push({ data, dueAt });
    this.schedule();
  }

  private schedule(): void {
    const next = this.queue[0];
    if (this.timer !== undefined || next === undefined) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.dueAt - Date.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = Date.now();
    for (let next = this.queue[0]; next !== undefined && next.dueAt <= now; next = this.queue[0]) {
      this.queue.shift();
      if (this.fault.mode !== 'blackhole') this.deliver(next.data);
    }
    this.schedule();
  }

  private deliver(data: Queued['data']): void {
    if (this.to.destroyed) return;
    if (data === END_OF_STREAM) {
      this.to.end();
      return;
    }
    if (this.to.write(data) || this.waitingForDrain) return;
    this.waitingForDrain = true;
    this.from.pause();
    this.to.once('drain', () => {
      this.waitingForDrain = false;
      this.from.resume();
    });
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        reject(new Error('fault proxy has no TCP address'));
        return;
      }
      resolve(address.port);
    });
  });
}
