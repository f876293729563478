#!/usr/bin/env node
// A small HTTP load balancer for local replicas (`npm run start:replicas`, the
// rolling-restart test): round-robin over the upstreams whose readiness check
// passes, with a retry on another upstream when a request could not be
// delivered. Usable as a CLI and as a module:
//   node tools/load-balancer.mjs --port 8080 --upstream 127.0.0.1:18080 --upstream 127.0.0.1:18081
//   const lb = await startLoadBalancer({ port: 8080, upstreams: ['127.0.0.1:18080'] });
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const MIB = 1024 * 1024;

// RFC 9110 §7.6.1: meaningful per connection only, never relayed.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
// The body is buffered: undici sets its length, and there is nothing to continue.
const NOT_FORWARDED = new Set([...HOP_BY_HOP, 'expect', 'content-length']);

// Failures to open a connection: the upstream cannot have seen the request,
// so sending it elsewhere is safe whatever the method.
const NOT_DELIVERED = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

// RFC 9110 §9.2.2: repeating these has the effect of sending them once, so a
// request that may have been processed can still be tried again.
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/**
 * Starts a balancer and resolves once it listens (after a first round of
 * health checks, so that it does not answer 502 while upstreams are up).
 *
 * @param {object} options
 * @param {string[]} options.upstreams `host:port` of each replica.
 * @param {number} [options.port] 0 (default) picks a free port.
 * @param {string} [options.host] Default 127.0.0.1.
 * @param {string} [options.healthPath] Default `/health/ready`.
 * @param {number} [options.healthIntervalMs] Default 250.
 * @param {number} [options.bodyLimit] Largest buffered request body, default 1 MiB.
 * @param {(line: string) => void} [options.log] State changes, one line each.
 */
export async function startLoadBalancer({
  upstreams,
  port = 0,
  host = '127.0.0.1',
  healthPath = '/health/ready',
  healthIntervalMs = 250,
  bodyLimit = MIB,
  log = () => undefined,
}) {
  if (!upstreams?.length) throw new TypeError('at least one upstream (host:port) is needed');
  const pool = upstreams.map((address) => ({
    address,
    healthy: false,
    traffic: new Pool(`http://${address}`, { connections: 64, headersTimeout: 30_000 }),
    // Apart from the traffic, so that a busy upstream's checks do not queue
    // behind its requests and time out.
    checks: new Pool(`http://${address}`, { connections: 1 }),
  }));
  let next = 0;

  const mark = (upstream, healthy, why) => {
    if (upstream.healthy === healthy) return;
    upstream.healthy = healthy;
    log(`upstream ${upstream.address} ${healthy ? 'in' : `out (${why})`}`);
  };

  const check = async (upstream) => {
    try {
      const { statusCode, body } = await upstream.checks.request({
        method: 'GET',
        path: healthPath,
        headersTimeout: Math.max(healthIntervalMs * 4, 1_000),
        bodyTimeout: Math.max(healthIntervalMs * 4, 1_000),
      });
      await body.dump();
      mark(upstream, statusCode === 200, statusCode);
    } catch (error) {
      mark(upstream, false, error.code ?? error.message);
    }
  };
  let checking = false;
  const checkAll = async () => {
    // A round slower than the interval is not overlapped by the next one.
    if (checking) return;
    checking = true;
    await Promise.all(pool.map(check));
    checking = false;
  };
  await checkAll();
  const timer = setInterval(checkAll, healthIntervalMs);

  /** The healthy upstreams, rotated one step per request: round-robin, then the others to retry on. */
  const candidates = () => {
    const healthy = pool.filter((u) => u.healthy);
    const start = next++ % Math.max(healthy.length, 1);
    return [...healthy.slice(start), ...healthy.slice(0, start)];
  };

  const server = createServer(async (req, res) => {
    let body;
    try {
      body = await readBody(req, bodyLimit);
    } catch {
      res.setHeader('connection', 'close');
      return problem(res, 413, 'Content Too Large');
    }
    const headers = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!NOT_FORWARDED.has(name)) headers[name] = value;
    }
    // Appended, never replaced: the services trust it only from this peer
    // (TRUSTED_PROXIES) and walk it from the right.
    const peer = req.socket.remoteAddress;
    headers['x-forwarded-for'] = req.headers['x-forwarded-for']
      ? `${req.headers['x-forwarded-for']}, ${peer}`
      : peer;
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });

    for (const upstream of candidates()) {
      let response;
      try {
        response = await upstream.traffic.request({
          method: req.method,
          path: req.url,
          headers,
          body: body.length > 0 ? body : undefined,
          signal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.aborted) return;
        mark(upstream, false, error.code ?? error.message);
        if (NOT_DELIVERED.has(error.code) || IDEMPOTENT.has(req.method)) continue;
        return problem(res, 502, 'Bad Gateway');
      }
      const out = {};
      for (const [name, value] of Object.entries(response.headers)) {
        // Set-Cookie stays an array: one header line per cookie.
        if (!HOP_BY_HOP.has(name)) out[name] = value;
      }
      res.writeHead(response.statusCode, out);
      // Past the first byte there is no retry: a broken stream just ends the reply.
      await pipeline(response.body, res).catch(() => res.destroy());
      return;
    }
    problem(res, 502, 'Bad Gateway');
  });
  // The upstream sets the pace; a slow client must not hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const bound = server.address().port;

  return {
    port: bound,
    url: `http://${host}:${bound}`,
    /** Whether `address` (host:port) currently receives traffic. */
    isHealthy: (address) => pool.some((u) => u.address === address && u.healthy),
    async close() {
      clearInterval(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await Promise.all(pool.flatMap((u) => [u.traffic.close(), u.checks.close()]));
    },
  };
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) return reject(new RangeError());
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        reject(new RangeError());
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** RFC 9457, as the services answer. */
function problem(res, status, title) {
  if (res.headersSent) return res.destroy();
  const body = JSON.stringify({ type: 'about:blank', title, status });
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      upstream: { type: 'string', multiple: true, default: [] },
      'health-interval': { type: 'string', default: '250' },
      'health-path': { type: 'string', default: '/health/ready' },
    },
  });
  const balancer = await startLoadBalancer({
    upstreams: values.upstream,
    port: Number(values.port),
    host: values.host,
    healthPath: values['health-path'],
    healthIntervalMs: Number(values['health-interval']),
    log: (line) => console.log(line),
  });
  console.log(`load balancer on ${balancer.url} → ${values.upstream.join(', ')}`);
  const stop = () => balancer.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`load balancer: ${error.message}`);
    process.exit(1);
  });
}
