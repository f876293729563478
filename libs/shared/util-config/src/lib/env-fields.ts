import { isIP } from 'node:net';
import { z } from 'zod';

const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Reusable field schemas so the three apps read the same variable the same way. */
export const env = {
  nodeEnv: z.enum(['development', 'test', 'production']).default('development'),
  /**
   * `json`: one JSON object per line, for a log pipeline (the default, and the
   * only format in production). `pretty`: one coloured line per record, for a
   * developer's terminal; `npm start` asks for it when its output is one.
   */
  logFormat: z.enum(['json', 'pretty'], { message: 'must be json or pretty' }).default('json'),
  /**
   * The least severe level written. Unset: `info` (one access line per
   * request), `warn` under NODE_ENV=test.
   */
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal'], {
      message: 'must be trace, debug, info, warn, error or fatal',
    })
    .optional(),
  host: z.string().min(1).default('127.0.0.1'),
  port,
  /**
   * The internal metrics server's port (`GET /metrics`), on HOST beside the
   * public port: latencies, authentication outcomes and cache hits are for
   * the scraper, never for the internet. Each service has its own default so
   * that the three can run on one machine.
   */
  metricsPort: port,
  /** A public origin: scheme, host and optional port, no path. */
  origin: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine(
        isOrigin,
        'must be an origin such as https://shop.example (no path, no trailing slash)',
      ),
  /** An internal base URL such as http://127.0.0.1:8081. */
  url: (fallback: string) => z.string().url().default(fallback),
  seconds: (fallback: number, max?: number) => {
    const base = z.coerce.number().int().positive();
    return (max === undefined ? base : base.max(max, `must be at most ${max} seconds`)).default(
      fallback,
    );
  },
  dataDir: z.string().min(1).default('.data'),
  databaseUrl: z
    .string()
    .refine((v) => /^postgres(ql)?:\/\//.test(v), 'must be a postgres:// or postgresql:// URL')
    .optional(),
  /** One server, or with REDIS_CLUSTER=true a comma-separated list of cluster seed nodes. */
  redisUrl: z
    .string()
    .refine(
      (v) => v.split(',').every((entry) => /^rediss?:\/\/\S/.test(entry.trim())),
      'must be a redis:// or rediss:// URL (with REDIS_CLUSTER=true, a comma-separated list of them)',
    )
    .optional(),
  /** `true`: REDIS_URL lists seed nodes of a Redis Cluster. See `checkRedisCluster`. */
  redisCluster: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** A `true`/`false` switch, `false` unless set. */
  flag: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((v) => v === 'true'),
  /** Milliseconds a Redis command may wait for its reply before the request gets a 503. */
  redisCommandTimeoutMs: z.coerce.number().int().min(1).max(60_000).default(1000),
  redisKeyPrefix: z
    .string()
    .regex(/^[\w:.-]*$/, 'letters, digits and : . _ - only')
    .default('svt:'),
  bodyLimit: z.coerce.number().int().min(1024).max(1_048_576).default(16_384),
  /**
   * Verified tokens a process remembers, per kind of token (access tokens,
   * identity tokens): a token in use beyond them costs an ES256 verification
   * per request. About 1 KiB of memory each; size it to the users active
   * within a token's lifetime on one replica.
   */
  tokenCacheSize: z.coerce.number().int().min(1).max(10_000_000).default(10_000),
  /**
   * Milliseconds a SIGTERM'd process keeps serving with readiness at 503, so
   * a load balancer stops sending before the port closes; 0 closes at once.
   */
  shutdownDelayMs: z.coerce.number().int().min(0).default(0),
  /** `<count>/<seconds>`, e.g. `30/60`: at most 30 hits per 60-second window. */
  rateLimit: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .refine((v) => RATE_LIMIT.test(v), 'must be <count>/<seconds>, e.g. 30/60')
      .transform((v): RateLimit => {
        const [count, seconds] = v.split('/').map(Number);
        return { count, windowMs: seconds * 1000 };
      }),
  /**
   * Comma-separated peers trusted to set X-Forwarded-For: IPs, CIDRs, or the
   * names `loopback`, `linklocal`, `uniquelocal`; `none` trusts nobody.
   */
  trustedProxies: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((v) =>
        v.trim() === 'none'
          ? []
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      )
      .refine(
        (list) => list.every(isProxyAddress),
        'must be a comma-separated list of IPs, CIDRs, or loopback/linklocal/uniquelocal',
      ),
  /**
   * A parent domain for the session cookie (`Domain=shop.localhost`), so that
   * same-site sibling hosts such as api.shop.localhost receive it too. Unset:
   * a host-only `__Host-` cookie.
   */
  cookieDomain: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      'must be a host name',
    )
    .optional(),
  /** Comma-separated origins. */
  origins: z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .refine((list) => list.every(isOrigin), 'must be a comma-separated list of origins'),
};

/** A parsed `<count>/<seconds>` limit. */
export interface RateLimit {
  readonly count: number;
  readonly windowMs: number;
}

const RATE_LIMIT = /^[1-9]\d{0,8}\/[1-9]\d{0,6}$/;

function isProxyAddress(value: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(value)) return true;
  const [address, bits, ...rest] = value.split('/');
  if (rest.length > 0 || isIP(address) === 0) return false;
  if (bits === undefined) return true;
  const max = isIP(address) === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/**
 * The rule between REDIS_URL and REDIS_CLUSTER, for a schema's `superRefine`:
 * a list of servers only as the seeds of a cluster, and a cluster needs seeds.
 */
export function checkRedisCluster(
  config: { readonly REDIS_URL?: string; readonly REDIS_CLUSTER: boolean },
  ctx: z.RefinementCtx,
): void {
  if (config.REDIS_CLUSTER && !config.REDIS_URL) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_CLUSTER'],
      message:
        'needs REDIS_URL: the seed nodes of the cluster, e.g. redis://h1:7000,redis://h2:7001',
    });
  }
  if (!config.REDIS_CLUSTER && config.REDIS_URL?.includes(',')) {
    ctx.addIssue({
      code: 'custom',
      path: ['REDIS_URL'],
      message:
        'lists several servers: set REDIS_CLUSTER=true to use them as the seeds of a Redis Cluster',
    });
  }
}

/**
 * The rule between LOG_FORMAT and NODE_ENV, for a schema's `superRefine`:
 * production logs are read by machines, so they are JSON whatever is set.
 */
export function checkLogFormat(
  config: { readonly NODE_ENV: string; readonly LOG_FORMAT: string },
  ctx: z.RefinementCtx,
): void {
  if (config.NODE_ENV === 'production' && config.LOG_FORMAT !== 'json') {
    ctx.addIssue({
      code: 'custom',
      path: ['LOG_FORMAT'],
      message: 'must be json in production, where a log pipeline reads the lines',
    });
  }
}

/** Whether a listen address reaches this machine only: `localhost`, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'http:' || url.protocol === 'https:') &&
      url.origin === value &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
}

/**
 * Whether cookies for `origin` may carry `Secure` (and so a `__Host-` name):
 * https everywhere, and browsers treat http://localhost and *.localhost as
 * secure contexts too.
 */
export function isSecureContextOrigin(origin: string): boolean {
  const { protocol, hostname } = new URL(origin);
  return protocol === 'https:' || hostname === 'localhost' || hostname.endsWith('.localhost');
}
