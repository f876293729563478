import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from 'redis';

/** The number of hash slots of every Redis Cluster (Redis Cluster specification, "Key distribution model"). */
const HASH_SLOTS = 16384;

/** Options for `startRedisCluster`. */
export interface StartRedisClusterOptions {
  /** How many masters share the hash slots (default 3, the smallest cluster Redis recommends). */
  readonly masters?: number;
  /** How long the cluster may take to report `cluster_state:ok` (default 15 s). */
  readonly readyTimeoutMs?: number;
}

/** A running Redis Cluster of local `redis-server` processes, masters only. */
export interface RedisTestCluster {
  /** One `redis://127.0.0.1:<port>` per master, in slot order. */
  readonly urls: readonly string[];
  /** The seed list a service is given (REDIS_URL with REDIS_CLUSTER=true): every master. */
  readonly seedUrl: string;
  /** Kills the processes and removes their directory. Idempotent. */
  stop(): Promise<void>;
}

/** The path of `redis-server` on PATH, or undefined when there is none. */
export function findRedisServer(): string | undefined {
  // eslint-disable-next-line no-restricted-syntax -- test tooling looks up a program, not configuration
  const path = process.env['PATH'] ?? '';
  for (const dir of path.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * Starts `masters` `redis-server` processes in cluster mode on free ports and
 * forms a cluster of them without `redis-cli`: each node takes its share of
 * the 16384 slots with CLUSTER ADDSLOTSRANGE, the first node meets the others
 * with CLUSTER MEET, and it resolves once every node reports
 * `cluster_state:ok`. Needs Redis 7.0 or later (ADDSLOTSRANGE, cluster-port).
 * Rejects, having stopped what it started, when `redis-server` is not on PATH
 * or the cluster does not form in time.
 */
export async function startRedisCluster(
  options: StartRedisClusterOptions = {},
): Promise<RedisTestCluster> {
  const masters = options.masters ?? 3;
  if (!Number.isInteger(masters) || masters < 1) {
    throw new TypeError(`masters must be a positive integer, got ${masters}`);
  }
  const server = findRedisServer();
  if (server === undefined) throw new Error('redis-server not found on PATH');
  const dir = await mkdtemp(join(tmpdir(), 'svt-redis-cluster-'));
  const nodes: RedisNode[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    // The cluster bus listens on a port of its own, set explicitly: the
    // default (port + 10000) may be taken or past 65535.
    const ports = await freePorts(2 * masters);
    for (let i = 0; i < masters; i++) {
      nodes.push(startNode(server, dir, ports[2 * i], ports[2 * i + 1]));
    }
    await formCluster(nodes, options.readyTimeoutMs ?? 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  const urls = nodes.map((node) => node.url);
  return { urls, seedUrl: urls.join(','), stop };
}

interface RedisNode {
  readonly port: number;
  readonly busPort: number;
  readonly url: string;
  /** The last lines the process wrote, for error messages. */
  output(): string;
  /** Rejects once the process has exited, saying how. */
  readonly exited: Promise<never>;
  stop(): Promise<void>;
}

function startNode(server: string, dir: string, port: number, busPort: number): RedisNode {
  const child: ChildProcess = spawn(
    server,
    [
      '--port',
      String(port),
      '--cluster-port',
      String(busPort),
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      join(dir, `nodes-${port}.conf`),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--bind',
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  const keep = (chunk: Buffer): void => {
    tail = (tail + chunk.toString()).slice(-2000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const exited = exit.then((): never => {
    throw new Error(`redis-server on port ${port} exited:\n${tail}`);
  });
  // Nobody awaits it on the happy path.
  exited.catch(() => undefined);
  return {
    port,
    busPort,
    url: `redis://127.0.0.1:${port}`,
    output: () => tail,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        // Nothing to keep: no persistence, the directory is removed next.
        child.kill('SIGKILL');
      }
      await exit;
    },
  };
}

type AdminClient = ReturnType<typeof createClient>;

async function formCluster(nodes: readonly RedisNode[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const clients: AdminClient[] = [];
  try {
    for (const node of nodes) {
      clients.push(await Promise.race([connectAdmin(node, deadline), node.exited]));
    }
    const share = Math.ceil(HASH_SLOTS / nodes.length);
    await Promise.all(
      clients.map((client, i) => {
        const first = i * share;
        const last = Math.min(HASH_SLOTS, (i + 1) * share) - 1;
        return client.sendCommand(['CLUSTER', 'ADDSLOTSRANGE', String(first), String(last)]);
      }),
    );
    const [introducer] = clients;
    for (const node of nodes.slice(1)) {
      await introducer.sendCommand([
        'CLUSTER',
        'MEET',
        '127.0.0.1',
        String(node.port),
        String(node.busPort),
      ]);
    }
    await Promise.all(
      clients.map((client, i) => waitUntilOk(client, nodes[i], nodes.length, deadline)),
    );
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** A plain client on one node, retried while the process starts listening. */
async function connectAdmin(node: RedisNode, deadline: number): Promise<AdminClient> {
  for (;;) {
    const client = createClient({ url: node.url, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      return await client.connect();
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(
          `redis-server on port ${node.port} did not accept connections:\n${node.output()}`,
          {
            cause: error,
          },
        );
      }
      await sleep(20);
    }
  }
}

/** Polls CLUSTER INFO until the node sees every node and every slot served. */
async function waitUntilOk(
  client: AdminClient,
  node: RedisNode,
  size: number,
  deadline: number,
): Promise<void> {
  for (;;) {
    const info = String(await client.sendCommand(['CLUSTER', 'INFO']));
    if (
      /^cluster_state:ok\r?$/m.test(info) &&
      new RegExp(`^cluster_known_nodes:${size}\\r?$`, 'm').test(info)
    ) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`The Redis Cluster did not form: node ${node.port} reports\n${info}`);
    }
    await sleep(50);
  }
}

/** `count` distinct free TCP ports on 127.0.0.1, all listened on at once so they differ. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
              const address = server.address();
              if (address === null || typeof address === 'string') {
                reject(new Error('listening socket has no TCP address'));
              } else {
                resolve(address.port);
              }
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) =>
            server.listening ? server.close(() => resolve()) : resolve(),
          ),
      ),
    );
  }
}
