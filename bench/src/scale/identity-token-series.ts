import { setTimeout } from 'node:timers/promises';
import { formatSize, formatValue } from './bend';
import { loadGateway, warmupSeconds } from './gateway-load';
import type { ScaleRig } from './scale-rig';
import { countIdentityTokens, resetIdentityTokens } from './scale-rig';
import type { ScalePoint, ScaleProgress, ScaleSeries, ScaleSettings } from './scale-types';

/** Distinct users sending requests at once; not a setting of the shared shape, so chosen here. */
const FULL_USERS = [1, 10, 100, 1_000];
const SMOKE_USERS = [1, 10];

const CONNECTIONS = 20;

const SETTLE_MS = 500;

/** The gateway's IDENTITY_TOKEN_TTL default: a token is reused while half of it remains. */
const IDENTITY_TOKEN_TTL_SECONDS = 60;

/**
 * How many identity tokens the gateway signs for CART as more distinct users
 * send requests: each request carries the access token of one of N users
 * never seen before, drawn at random, after the gateway was warmed by
 * another user. The stand-in upstream counts the distinct
 * identity tokens it receives: each one is a signature at the gateway, which
 * has no counter of its own for them.
 */
export async function measureIdentityTokens(
  rig: ScaleRig,
  settings: ScaleSettings,
  progress: ScaleProgress,
): Promise<ScaleSeries> {
  const points: ScalePoint[] = [];
  for (const users of settings.smoke ? SMOKE_USERS : FULL_USERS) {
    progress(`identity tokens: ${formatSize(users)} distinct users (${settings.loadSeconds} s)`);
    const tokens = rig.minter.mint(users);
    const gateway = rig.gateway;
    await loadGateway(gateway, {
      connections: CONNECTIONS,
      token: rig.accessToken,
      seconds: warmupSeconds(settings.loadSeconds),
    });
    // Requests of the warm-up still in flight at its end must not count.
    await setTimeout(SETTLE_MS);
    await resetIdentityTokens(rig.upstream);
    const seen = new Set<number>();
    const load = await loadGateway(gateway, {
      connections: CONNECTIONS,
      seconds: settings.loadSeconds,
      token: () => {
        const index = Math.floor(Math.random() * users);
        seen.add(index);
        return tokens[index] ?? '';
      },
    });
    const signatures = await countIdentityTokens(rig.upstream);
    points.push({
      x: users,
      values: {
        usersPerSecond: seen.size / settings.loadSeconds,
        signaturesPerSecond: signatures / settings.loadSeconds,
        signaturesPerKiloRequest:
          load.requests === 0 ? undefined : (1000 * signatures) / load.requests,
        rps: load.requestsPerSecond,
        cpuMicros: load.cpuMicrosPerRequest,
        errors: load.errors,
      },
    });
  }
  return {
    id: 'identity-token-reuse',
    title: 'Identity tokens signed by the gateway, by distinct users',
    backend: 'embedded',
    xLabel: 'distinct users sending requests',
    columns: [
      { key: 'usersPerSecond', label: 'distinct users per second', unit: 'users/s' },
      { key: 'signaturesPerSecond', label: 'signatures per second', unit: 'signatures/s' },
      {
        key: 'signaturesPerKiloRequest',
        label: 'signatures per 1 000 requests',
        unit: 'signatures',
      },
      { key: 'rps', label: 'Bearer req/s', unit: 'req/s' },
      { key: 'cpuMicros', label: 'gateway CPU per request', unit: 'µs' },
      { key: 'errors', label: 'errors', unit: 'requests' },
    ],
    points,
    bend: identityBend(points),
    notes: [
      `Distinct users per second: the users whose requests went out in the ${settings.loadSeconds} measured seconds, divided by them; signatures: the distinct identity tokens the stand-in received meanwhile (COUNT_IDENTITY_TOKENS in bench/upstream.mjs).`,
      `A token is reused for the same user, session and login method while half its ${IDENTITY_TOKEN_TTL_SECONDS} s life remains: a user who keeps sending costs one signature per ${IDENTITY_TOKEN_TTL_SECONDS / 2} s, however many requests. The measured seconds are fewer than that, so each user is signed for once.`,
      'The reuse cache keeps 10 000 (user, session, method) entries; past that, the oldest goes and its user is signed for again.',
    ],
  };
}

function identityBend(points: readonly ScalePoint[]): string {
  const ratios = points.map(
    (p) => (p.values['signaturesPerSecond'] ?? NaN) / (p.values['usersPerSecond'] ?? NaN),
  );
  const worst = Math.max(...ratios.map((r) => Math.abs(r - 1)));
  const last = points[points.length - 1];
  if (!last || !Number.isFinite(worst)) return 'no data';
  const tracks = worst <= 0.05;
  return `${tracks ? 'signatures per second follow distinct users per second, not req/s' : 'signatures per second part from distinct users per second'} (signatures per user ${ratios.map((r) => formatValue(r)).join(', ')}); at ${formatSize(last.x)} users, ${formatValue(last.values['signaturesPerKiloRequest'])} signatures per 1 000 requests`;
}
