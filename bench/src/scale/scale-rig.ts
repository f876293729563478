import { request } from 'undici';
import type { MeteredService, SystemUnderTest } from '@svt/shared/testing';
import {
  findWorkspaceRoot,
  http,
  loginWithToken,
  readTestEnvironment,
  registerUser,
  startSystem,
} from '@svt/shared/testing';
import type { BenchProcess } from '../processes';
import type { BenchBackend } from '../scenarios';
import { startNodeProcess } from '../processes';
import { AccessTokenMinter } from './access-token-minter';
import type { ScaleProgress } from './scale-types';

/** The access-token audience of the system (`ACCESS_TOKEN_AUDIENCE`'s default). */
const AUDIENCE = 'svt-api';

/**
 * The processes of the gateway series: the three services, the stand-in upstream (relaying AUTH's keys and the bench's,
 * counting the identity tokens it receives), and gateway replicas that
 * forward every route to it, as in the main bench.
 */
export interface ScaleRig {
  readonly system: SystemUnderTest;
  readonly upstream: BenchProcess;
  /**
   * The gateway of the connections, token-cache and identity-token series,
   * forwarding every route to the stand-in.
   */
  readonly gateway: MeteredService;
  /** A Bearer token of a real login at AUTH. */
  readonly accessToken: string;
  /** Signs access tokens the gateways accept, for as many users as wanted. */
  readonly minter: AccessTokenMinter;
  /**
   * Starts one more gateway forwarding to the stand-in, with `env` on top of
   * the first one's; resolves once it is ready.
   */
  startGateway(env?: Record<string, string>): Promise<MeteredService>;
  stop(): Promise<void>;
}

/**
 * Starts the rig on `backend`: the embedded default, or PostgreSQL + Redis
 * at DATABASE_URL and REDIS_URL (fresh databases and key prefix).
 */
export async function startScaleRig(
  backend: BenchBackend,
  progress: ScaleProgress,
): Promise<ScaleRig> {
  progress(`starting auth, cart and gateway on ${backend}, and the stand-in upstream`);
  const root = findWorkspaceRoot();
  const environment = readTestEnvironment();
  const system = await startSystem({
    backend: backend === 'embedded' ? 'embedded' : 'environment',
  });
  try {
    const minter = new AccessTokenMinter(system.auth.origin, AUDIENCE);
    const upstream = await startNodeProcess('upstream', root, 'bench/upstream.mjs', {
      ...environment.inherited,
      JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
      EXTRA_JWKS: JSON.stringify([minter.publicJwk]),
      COUNT_IDENTITY_TOKENS: 'true',
    });
    const startGateway = (env: Record<string, string> = {}): Promise<MeteredService> =>
      system.startReplica('gateway', { AUTH_URL: upstream.url, CART_URL: upstream.url, ...env });
    const gateway = await startGateway();
    const client = http(system.auth);
    const { accessToken } = await loginWithToken(client, await registerUser(client));
    return {
      system,
      upstream,
      gateway,
      accessToken,
      minter,
      startGateway,
      stop: async () => {
        await upstream.stop();
        await system.stop();
      },
    };
  } catch (error) {
    await system.stop();
    throw error;
  }
}

/**
 * The value of one sample of a counter on a service's `/metrics`, e.g.
 * `authn_token_cache_total{cache="bearer",result="hit"}`; 0 when absent
 * (prom-client shows a labelled counter only once it has counted).
 */
export async function readCounter(
  service: MeteredService,
  name: string,
  labels: Readonly<Record<string, string>>,
): Promise<number> {
  const response = await request(`${service.metrics.origin}/metrics`);
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Error(`bench: ${service.name}'s /metrics answered ${response.statusCode}`);
  }
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf('}');
    const sample = Object.fromEntries(
      line
        .slice(name.length + 1, close)
        .split(',')
        .map((pair) => pair.split('=') as [string, string])
        .map(([key, value]) => [key, JSON.parse(value) as string]),
    );
    if (Object.entries(labels).every(([key, value]) => sample[key] === value)) {
      return Number(line.slice(close + 1).trim());
    }
  }
  return 0;
}

/** The distinct identity tokens the stand-in has received since the last `resetIdentityTokens`. */
export async function countIdentityTokens(upstream: BenchProcess): Promise<number> {
  const response = await request(`${upstream.url}/bench/identity-tokens`);
  const body = (await response.body.json()) as { distinct: number };
  return body.distinct;
}

export async function resetIdentityTokens(upstream: BenchProcess): Promise<void> {
  const response = await request(`${upstream.url}/bench/identity-tokens`, { method: 'DELETE' });
  await response.body.dump();
}
