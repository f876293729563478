import { execFile } from 'node:child_process';
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { generateKeyPair, generateProof } from 'dpop';
import type { LiveCart, Service, SystemUnderTest, TestEnvironment } from '@svt/shared/testing';
import {
  csrfHeaders,
  describeResponse,
  findWorkspaceRoot,
  http,
  loginWithSession,
  loginWithToken,
  openLiveCart,
  readTestEnvironment,
  registerUser,
  resolveBackend,
  startSystem,
} from '@svt/shared/testing';
import { DeviceBoundSession } from './dbsc-session';
import { DpopProofs } from './dpop-proofs';
import type { DpopKeyPair } from './dpop-proofs';
import { median, probeLatency, runLoad } from './load';
import type { LoadRequest, LoadResult } from './load';
import type { BenchProcess } from './processes';
import { cpuSeconds, residentMiB, startNodeProcess } from './processes';
import { judgeTargets } from './report';
import { measureSingleSignOn } from './single-sign-on';
import type {
  AuthLoadResult,
  BenchBackend,
  BenchReport,
  BenchSettings,
  DbscRefreshResult,
  LoginResult,
  RefreshResult,
  RevocationResult,
  ScenarioId,
  SingleSignOnResult,
  SoakResult,
  ThroughputResult,
} from './scenarios';
import { SCENARIO_TITLES } from './scenarios';

/** Progress lines for the person waiting. */
export type Progress = (line: string) => void;

/** The access-token audience of the system (`ACCESS_TOKEN_AUDIENCE`'s default). */
const AUDIENCE = 'svt-api';

interface TokenBody {
  readonly refresh_token: string;
}

interface DpopTokenBody {
  readonly access_token: string;
  readonly token_type: string;
}

/**
 * DPoP proofs made before a round: enough for the fastest rate the scenario
 * has shown so far (this guess before it has run), with a margin.
 */
const DPOP_FIRST_GUESS_RPS = 4_000;
const DPOP_POOL_MARGIN = 2;

/** A revocation that has not bitten after this long counts as missed. */
const REVOCATION_DEADLINE_MS = 5_000;

/** A scenario of the throughput table: where it sends what, and whose memory to watch. */
interface Target {
  readonly id: ScenarioId;
  readonly url: string;
  readonly request: LoadRequest;
  readonly pid: number | undefined;
  /** A fresh proof for every request, for a DPoP-bound token. */
  readonly proofs?: DpopProofs;
}

/** The processes of one backend's part of the run. */
interface Rig {
  readonly backend: BenchBackend;
  readonly system: SystemUnderTest;
  /** The gateway under test: a replica forwarding to the stand-in upstream. */
  readonly gateway: Service;
  readonly upstream: BenchProcess;
  readonly accessToken: string;
  /** A second token family, bound to `key` by a DPoP proof at login. */
  readonly dpop: { readonly accessToken: string; readonly key: DpopKeyPair };
  /** The `Cookie` header of a session login, the cookie named as the gateway names it. */
  readonly sessionCookie: string;
  /** A second session login, bound to a key (DBSC) as a browser binds it. */
  readonly deviceBoundSession: DeviceBoundSession;
  readonly credentials: { email: string; password: string };
  /**
   * One account per login connection: the login scenario measures AUTH's
   * capacity, not one account's back-off, which refuses parallel password
   * checks of one account beyond LOGIN_BACKOFF_AFTER while they are in flight.
   */
  readonly loginAccounts: readonly { email: string; password: string }[];
}

/** The bench AUTH's DBSC_BOUND_COOKIE_TTL, seconds: longer than a backend's part of the run. */
const BOUND_COOKIE_TTL_SECONDS = 3_600;

/** Concurrent connections of the login scenario: argon2 hashes on libuv's 4 threads, more only queue. */
const LOGIN_CONNECTIONS = 8;

/**
 * Runs every scenario and returns what it measured. Needs the built services
 * (`npm run build`); covers the embedded default, and PostgreSQL + Redis too
 * when both URLs are set.
 */
export async function runBench(
  settings: BenchSettings,
  mode: 'full' | 'smoke',
  progress: Progress,
): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const root = findWorkspaceRoot();
  const environment = readTestEnvironment();
  const backends: BenchBackend[] =
    resolveBackend(environment) === 'postgres+redis'
      ? ['embedded', 'postgres+redis']
      : ['embedded'];
  if (backends.length === 1) {
    progress(
      'PostgreSQL + Redis: SKIPPED (set DATABASE_URL and REDIS_URL to measure the session cookie on Redis and refresh on PostgreSQL)',
    );
  }
  progress('compiling the usual NestJS gateway (bench/peers/nest-gateway)');
  await promisify(execFile)(process.execPath, [
    `${root}/node_modules/typescript/bin/tsc`,
    '-p',
    `${root}/bench/peers/nest-gateway/tsconfig.json`,
  ]);

  const throughput: ThroughputResult[] = [];
  const dbscRefresh: DbscRefreshResult[] = [];
  const revocation: RevocationResult[] = [];
  const singleSignOn: SingleSignOnResult[] = [];
  let login: LoginResult | undefined;
  let refresh: RefreshResult | undefined;
  let soak: SoakResult | undefined;

  for (const backend of backends) {
    const rig = await startRig(backend, root, environment, progress);
    const peers: BenchProcess[] = [];
    try {
      const targets: Target[] = [
        {
          id: 'gateway-unauthenticated',
          url: rig.gateway.url,
          request: { path: '/api/auth/bench' },
          pid: rig.gateway.pid,
        },
        {
          id: 'gateway-bearer',
          url: rig.gateway.url,
          request: { path: '/api/cart', headers: { authorization: `Bearer ${rig.accessToken}` } },
          pid: rig.gateway.pid,
        },
        {
          id: 'gateway-dpop',
          url: rig.gateway.url,
          request: {
            path: '/api/cart',
            headers: { authorization: `DPoP ${rig.dpop.accessToken}` },
          },
          pid: rig.gateway.pid,
          // The replica answers to SHOP's origin: its proofs name SHOP's URL.
          proofs: new DpopProofs(
            rig.dpop.key,
            rig.dpop.accessToken,
            `${rig.gateway.origin}/api/cart`,
          ),
        },
        {
          id: 'gateway-session',
          url: rig.gateway.url,
          request: { path: '/api/cart', headers: { cookie: rig.sessionCookie } },
          pid: rig.gateway.pid,
        },
        {
          id: 'gateway-dbsc',
          url: rig.gateway.url,
          request: { path: '/api/cart', headers: { cookie: rig.deviceBoundSession.cookie } },
          pid: rig.gateway.pid,
        },
      ];
      // The peers do not depend on the backend: measured once, beside the embedded run.
      if (backend === 'embedded') {
        const inherited = environment.inherited;
        const bare = await startNodeProcess('bare proxy', root, 'bench/peers/bare-proxy.mjs', {
          ...inherited,
          UPSTREAM_URL: rig.upstream.url,
        });
        peers.push(bare);
        const nest = await startNodeProcess(
          'usual NestJS gateway',
          root,
          'tmp/bench/peers/nest-gateway/main.js',
          {
            ...inherited,
            UPSTREAM_URL: rig.upstream.url,
            JWKS_URL: `${rig.system.auth.url}/.well-known/jwks.json`,
            ISSUER: rig.system.auth.origin,
            AUDIENCE,
          },
        );
        peers.push(nest);
        targets.push(
          { id: 'peer-bare-proxy', url: bare.url, request: { path: '/api/cart' }, pid: bare.pid },
          {
            id: 'peer-usual-nest-gateway',
            url: nest.url,
            request: {
              path: '/api/cart',
              headers: { authorization: `Bearer ${rig.accessToken}` },
            },
            pid: nest.pid,
          },
        );
      }
      throughput.push(...(await measureThroughput(targets, backend, settings, progress)));
      dbscRefresh.push(await measureDbscRefresh(rig, settings, progress));
      revocation.push(...(await measureRevocation(rig, settings, progress)));
      progress(
        `${backend}: single sign-on, open the cart site → cart shown (${settings.singleSignOnTrials} trials)`,
      );
      singleSignOn.push(
        await measureSingleSignOn(rig.system, backend, settings.singleSignOnTrials),
      );
      if (backend === 'embedded') {
        login = await measureLogin(rig, settings, progress);
        soak = await measureSoak(rig, settings, progress);
      }
      // Rotation is a database write: measured on PostgreSQL when there is one.
      if (backend === backends[backends.length - 1]) {
        refresh = await measureRefresh(rig, settings, progress);
      }
    } finally {
      await Promise.all(peers.map((peer) => peer.stop()));
      await rig.upstream.stop();
      await rig.system.stop();
    }
  }
  if (!login || !refresh || !soak) throw new Error('bench: a scenario did not run');
  const report = {
    startedAt,
    mode,
    settings,
    machine: describeMachine(),
    backends,
    throughput,
    login,
    refresh,
    dbscRefresh,
    revocation,
    singleSignOn,
    soak,
  };
  return { ...report, targets: judgeTargets(report) };
}

async function startRig(
  backend: BenchBackend,
  root: string,
  environment: TestEnvironment,
  progress: Progress,
): Promise<Rig> {
  progress(`starting auth, cart and gateway on ${backend}`);
  const system = await startSystem({
    backend: backend === 'embedded' ? 'embedded' : 'environment',
    // The throughput rounds outlast the default 300 s of a bound cookie. Its
    // lifetime decides when a refresh is due, not what a request costs.
    env: { auth: { DBSC_BOUND_COOKIE_TTL: String(BOUND_COOKIE_TTL_SECONDS) } },
  });
  try {
    const upstream = await startNodeProcess('upstream', root, 'bench/upstream.mjs', {
      ...environment.inherited,
      JWKS_URL: `${system.auth.url}/.well-known/jwks.json`,
    });
    // The gateway under test forwards AUTH's and CART's routes alike to the
    // stand-in, which relays AUTH's keys: every scenario meets the same upstream.
    // It logs as in production, one line per request, which the harness reads
    // from its pipe as a log shipper would.
    const gateway = await system.startReplica('gateway', {
      AUTH_URL: upstream.url,
      CART_URL: upstream.url,
      LOG_LEVEL: 'info',
    });
    const client = http(system.auth);
    const credentials = await registerUser(client);
    const tokens = await loginWithToken(client, credentials);
    const session = await loginWithSession(client, credentials);
    const dpop = await loginWithDpop(system.shop, credentials);
    const deviceBoundSession = await DeviceBoundSession.register(client, credentials);
    // Measured as bound only if the gateway takes it as bound.
    const me = await http(system.shop).get('/api/me', {
      headers: { cookie: deviceBoundSession.cookie },
    });
    if (me.json?.['deviceBound'] !== true) {
      throw new Error(`bench: the gateway does not see a bound session: ${describeResponse(me)}`);
    }
    const loginAccounts = await Promise.all(
      Array.from({ length: LOGIN_CONNECTIONS }, async () => {
        const account = await registerUser(client);
        return { email: account.email, password: account.password };
      }),
    );
    return {
      backend,
      system,
      gateway,
      upstream,
      accessToken: tokens.accessToken,
      dpop,
      sessionCookie: session.jar.header(),
      deviceBoundSession,
      credentials: { email: credentials.email, password: credentials.password },
      loginAccounts,
    };
  } catch (error) {
    await system.stop();
    throw error;
  }
}

/**
 * A token login through the gateway with a DPoP proof: the family it starts is
 * bound to the key, and its access token needs that key's proofs.
 */
async function loginWithDpop(
  shop: Service,
  credentials: { email: string; password: string },
): Promise<Rig['dpop']> {
  const key = await generateKeyPair('ES256');
  const proof = await generateProof(key, `${shop.origin}/api/auth/token`, 'POST');
  const response = await http(shop).post<DpopTokenBody>(
    '/api/auth/token',
    { email: credentials.email, password: credentials.password },
    { headers: { dpop: proof } },
  );
  const body = response.json;
  if (response.status !== 201 || body?.token_type !== 'DPoP') {
    throw new Error(`bench: DPoP token login answered ${describeResponse(response)}`);
  }
  return { accessToken: body.access_token, key };
}

/**
 * Every scenario `rounds` times, the order rotating each round so no
 * scenario always runs first or last on a noisy machine; medians reported.
 */
async function measureThroughput(
  targets: readonly Target[],
  backend: BenchBackend,
  settings: BenchSettings,
  progress: Progress,
): Promise<ThroughputResult[]> {
  const fastest = new Map<ScenarioId, number>();
  /**
   * A fresh pool of proofs for a run of `seconds`, made right before it: a
   * proof's `iat` is good for 60 s.
   */
  const refill = (target: Target, seconds: number): void => {
    const rate = fastest.get(target.id) ?? DPOP_FIRST_GUESS_RPS;
    target.proofs?.refill(Math.ceil(rate * seconds * DPOP_POOL_MARGIN) + settings.connections);
  };
  const load = async (target: Target, seconds: number) => {
    const proofs = target.proofs;
    const result = await runLoad(target.request, {
      url: target.url,
      connections: settings.connections,
      durationSeconds: seconds,
      ...(proofs ? { headersPerRequest: () => ({ dpop: proofs.next() }) } : {}),
    });
    fastest.set(target.id, Math.max(fastest.get(target.id) ?? 0, result.requestsPerSecond));
    return { result, proofsOnDemand: proofs?.onDemand ?? 0 };
  };
  for (const target of targets) {
    refill(target, settings.warmupSeconds);
    await load(target, settings.warmupSeconds);
  }
  const rounds = new Map<
    ScenarioId,
    {
      rps: number;
      p50: number;
      p99: number;
      errors: number;
      cpu: number | undefined;
      proofsOnDemand: number;
    }[]
  >();
  const memory = new Map<ScenarioId, number | undefined>();
  for (let round = 0; round < settings.rounds; round++) {
    const order = targets.map((_, i) => targets[(i + round) % targets.length] as Target);
    for (const target of order) {
      progress(
        `${backend}: ${SCENARIO_TITLES[target.id]}, round ${round + 1}/${settings.rounds} (${settings.durationSeconds} s)`,
      );
      refill(target, settings.durationSeconds);
      const cpuBefore = await cpuSeconds(target.pid);
      const { result, proofsOnDemand } = await load(target, settings.durationSeconds);
      const cpuAfter = await cpuSeconds(target.pid);
      if (result.errors > 0 || proofsOnDemand > 0) {
        progress(
          `${backend}: ${SCENARIO_TITLES[target.id]}: ${result.errors} errors${target.proofs ? `, ${proofsOnDemand} proofs made during the load (the pool ran dry)` : ''}`,
        );
      }
      const list = rounds.get(target.id) ?? [];
      list.push({
        rps: result.requestsPerSecond,
        p50: result.p50Ms,
        p99: result.p99Ms,
        errors: result.errors,
        cpu:
          cpuBefore === undefined || cpuAfter === undefined || result.requests === 0
            ? undefined
            : ((cpuAfter - cpuBefore) * 1e6) / result.requests,
        proofsOnDemand,
      });
      rounds.set(target.id, list);
      memory.set(target.id, await residentMiB(target.pid));
    }
  }
  return targets.map((target) => {
    const list = rounds.get(target.id) ?? [];
    return {
      scenario: target.id,
      backend,
      requestsPerSecond: median(list.map((r) => r.rps)),
      p50Ms: median(list.map((r) => r.p50)),
      p99Ms: median(list.map((r) => r.p99)),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      cpuMicrosPerRequest: list.every((r) => r.cpu !== undefined)
        ? median(list.map((r) => r.cpu ?? 0))
        : undefined,
      rssMiB: memory.get(target.id),
      rounds: list.map((r) => r.rps),
      ...(target.proofs
        ? { proofsOnDemand: list.reduce((sum, r) => sum + r.proofsOnDemand, 0) }
        : {}),
    };
  });
}

/**
 * Logs in with a token pair, proves each service accepts the access token,
 * revokes the family at AUTH, then asks each service (one request at a time)
 * until it refuses: the time from the revocation's answer to the refusal.
 */
async function measureRevocation(
  rig: Rig,
  settings: BenchSettings,
  progress: Progress,
): Promise<RevocationResult[]> {
  progress(`${rig.backend}: how soon a revocation bites (${settings.revocationTrials} trials)`);
  const auth = http(rig.system.auth);
  const probes = {
    gateway: { client: http(rig.system.shop), path: '/api/cart' },
    cart: { client: http(rig.system.cart), path: '/cart' },
    auth: { client: auth, path: '/auth/me' },
  } as const;
  const times: Record<keyof typeof probes, number[]> = { gateway: [], cart: [], auth: [] };
  const missed: Record<keyof typeof probes, number> = { gateway: 0, cart: 0, auth: 0 };
  for (let trial = 0; trial < settings.revocationTrials; trial++) {
    const tokens = await loginWithToken(auth, rig.credentials);
    for (const [service, probe] of Object.entries(probes)) {
      const warm = await probe.client.get(probe.path, { bearer: tokens.accessToken });
      if (warm.status !== 200) {
        throw new Error(`bench: ${service} refused a fresh access token (${warm.status})`);
      }
    }
    const revoked = await auth.post('/auth/token/revoke', { refresh_token: tokens.refreshToken });
    if (revoked.status !== 204) throw new Error(`bench: revoke answered ${revoked.status}`);
    const at = performance.now();
    await Promise.all(
      (Object.keys(probes) as (keyof typeof probes)[]).map(async (service) => {
        const probe = probes[service];
        for (;;) {
          const response = await probe.client.get(probe.path, { bearer: tokens.accessToken });
          const elapsed = performance.now() - at;
          if (response.status === 401) {
            times[service].push(elapsed);
            return;
          }
          if (elapsed > REVOCATION_DEADLINE_MS) {
            missed[service] += 1;
            return;
          }
        }
      }),
    );
  }
  return [
    ...(Object.keys(probes) as (keyof typeof probes)[]).map((service) => ({
      backend: rig.backend,
      service,
      maxMs: Math.max(0, ...times[service]),
      medianMs: median(times[service]),
      trials: settings.revocationTrials,
      missed: missed[service],
    })),
    ...(await measureSocketClosing(rig, settings)),
  ];
}

/** The close codes of the live cart that `measureSocketClosing` waits for (docs/websocket.md). */
const SOCKET_CLOSE = { tokenRevoked: 4003, sessionEnded: 4001 } as const;

/**
 * The live cart's sockets at the gateway, one per credential: the time from
 * the revocation's answer (the token family revoked, the session logged out)
 * to the socket's close with the code that names it. A close that came
 * before the answer counts as 0 ms; one that did not come within the
 * deadline, or came with another code, is missed.
 */
async function measureSocketClosing(
  rig: Rig,
  settings: BenchSettings,
): Promise<RevocationResult[]> {
  const shop = http(rig.system.shop);
  const auth = http(rig.system.auth);
  const trials = {
    'live cart, token': async (): Promise<number | undefined> => {
      const tokens = await loginWithToken(auth, rig.credentials);
      const live = await openLiveCart(rig.system.shop, { token: tokens.accessToken });
      return timeToClose(live, SOCKET_CLOSE.tokenRevoked, async () => {
        const revoked = await auth.post('/auth/token/revoke', {
          refresh_token: tokens.refreshToken,
        });
        if (revoked.status !== 204) throw new Error(`bench: revoke answered ${revoked.status}`);
      });
    },
    'live cart, session': async (): Promise<number | undefined> => {
      const session = await loginWithSession(shop, rig.credentials, '/api/auth');
      const live = await openLiveCart(rig.system.shop, {
        origin: rig.system.shop.origin,
        cookie: session.jar.header('/api/cart/events'),
      });
      return timeToClose(live, SOCKET_CLOSE.sessionEnded, async () => {
        const logout = await shop.delete('/api/auth/session', {
          jar: session.jar,
          headers: csrfHeaders(rig.system.shop.origin, session.csrfToken),
        });
        if (logout.status !== 204) throw new Error(`bench: logout answered ${logout.status}`);
      });
    },
  } as const;
  const results: RevocationResult[] = [];
  for (const [service, trial] of Object.entries(trials) as [
    keyof typeof trials,
    () => Promise<number | undefined>,
  ][]) {
    const times: number[] = [];
    for (let i = 0; i < settings.revocationTrials; i++) {
      const ms = await trial();
      if (ms !== undefined) times.push(ms);
    }
    results.push({
      backend: rig.backend,
      service,
      maxMs: Math.max(0, ...times),
      medianMs: median(times),
      trials: settings.revocationTrials,
      missed: settings.revocationTrials - times.length,
    });
  }
  return results;
}

/** Waits for the socket's first cart, ends its credential, then times the close; `undefined` when missed. */
async function timeToClose(
  live: LiveCart,
  code: number,
  endCredential: () => Promise<void>,
): Promise<number | undefined> {
  await live.next((message) => message['type'] === 'cart');
  await endCredential();
  const answeredAt = Date.now();
  const deadline = new Promise<undefined>((resolve) =>
    setTimeout(resolve, REVOCATION_DEADLINE_MS, undefined).unref(),
  );
  const closed = await Promise.race([live.closed, deadline]);
  if (closed === undefined) {
    live.ws.terminate();
    return undefined;
  }
  return closed.code === code ? Math.max(0, closed.at - answeredAt) : undefined;
}

/** Token logins at AUTH as fast as they go, with `/health/live` sampled meanwhile. */
async function measureLogin(
  rig: Rig,
  settings: BenchSettings,
  progress: Progress,
): Promise<LoginResult> {
  progress(`${rig.backend}: logins under load (${settings.loginSeconds} s)`);
  const cores = availableParallelism();
  const stopProbe = new AbortController();
  const live = probeLatency(`${rig.system.auth.url}/health/live`, 20, stopProbe.signal);
  const usage = await measureCpu(rig.system.auth.pid);
  let next = 0;
  const result = await runLoad(
    {
      method: 'POST',
      path: '/auth/token',
      headers: { 'content-type': 'application/json' },
    },
    {
      url: rig.system.auth.url,
      connections: LOGIN_CONNECTIONS,
      durationSeconds: settings.loginSeconds,
      expectStatus: 201,
      // The accounts in turn, so that about one login per account is in flight.
      chain: {
        next: () => ({
          body: JSON.stringify(rig.loginAccounts[next++ % rig.loginAccounts.length]),
        }),
        onAnswer: () => undefined,
      },
    },
  );
  const authCores = await usage.cores();
  stopProbe.abort();
  const liveness = await live;
  return {
    backend: rig.backend,
    loginsPerSecond: result.requestsPerSecond,
    loginsPerSecondPerCore: result.requestsPerSecond / cores,
    authCores,
    loginsPerAuthCore: authCores ? result.requestsPerSecond / authCores : undefined,
    p99Ms: result.p99Ms,
    errors: result.errors,
    liveP50Ms: liveness.p50Ms,
    liveP99Ms: liveness.p99Ms,
    liveSamples: liveness.samples,
  };
}

/**
 * Refresh-token rotation as fast as it goes: each connection follows its own
 * token family, sending the refresh token its previous answer returned.
 */
async function measureRefresh(
  rig: Rig,
  settings: BenchSettings,
  progress: Progress,
): Promise<RefreshResult> {
  const connections = settings.connections;
  progress(
    `${rig.backend}: refresh-token rotation (${settings.refreshSeconds} s, ${2 * connections} families)`,
  );
  const auth = http(rig.system.auth);
  // Every request spends one token and its answer returns the successor:
  // with twice as many families as connections, none is ever sent twice.
  const unspent: string[] = [];
  for (let i = 0; i < 2 * connections; i++) {
    unspent.push((await loginWithToken(auth, rig.credentials)).refreshToken);
  }
  const cores = availableParallelism();
  const usage = await measureCpu(rig.system.auth.pid);
  const result = await runLoad(
    {
      method: 'POST',
      path: '/auth/token/refresh',
      headers: { 'content-type': 'application/json' },
    },
    {
      url: rig.system.auth.url,
      connections,
      durationSeconds: settings.refreshSeconds,
      chain: {
        next: () => ({ body: JSON.stringify({ refresh_token: unspent.shift() ?? '' }) }),
        onAnswer: (status, body) => {
          if (status === 200) unspent.push((JSON.parse(body) as TokenBody).refresh_token);
        },
      },
    },
  );
  const authCores = await usage.cores();
  return {
    backend: rig.backend,
    refreshesPerSecond: result.requestsPerSecond,
    refreshesPerSecondPerCore: result.requestsPerSecond / cores,
    authCores,
    refreshesPerAuthCore: authCores ? result.requestsPerSecond / authCores : undefined,
    p99Ms: result.p99Ms,
    errors: result.errors,
  };
}

/**
 * The DBSC refresh at AUTH as fast as it goes, beside a read of a plain
 * session at AUTH (`GET /auth/session`, the same cookie check without the
 * refresh's work), in rounds that take turns. Each refresh carries a proof
 * over the challenge its session's previous answer handed out: a challenge
 * is known only once that answer is in, so no proof can be signed ahead, and
 * the load generator signs each one (an ECDSA signature) between an answer
 * and the next request. AUTH's own CPU per request leaves that out.
 */
async function measureDbscRefresh(
  rig: Rig,
  settings: BenchSettings,
  progress: Progress,
): Promise<DbscRefreshResult> {
  const connections = settings.connections;
  // One request in flight per connection: with twice as many sessions, one
  // whose latest challenge is in hand is always ready.
  const count = 2 * connections;
  progress(
    `${rig.backend}: DBSC refresh beside a session read, at AUTH (${settings.dbscRefreshRounds} rounds of ${settings.durationSeconds} s each, ${count} device-bound sessions)`,
  );
  const auth = http(rig.system.auth);
  const sessions: DeviceBoundSession[] = [];
  for (let i = 0; i < count; i++) {
    sessions.push(await DeviceBoundSession.register(auth, rig.credentials));
  }
  const byId = new Map(sessions.map((session) => [session.id, session]));
  const ready = [...sessions];
  const inFlight = new Set<DeviceBoundSession>();
  const refresh = (seconds: number) =>
    runLoad(
      { method: 'POST', path: '/auth/session/dbsc/refresh' },
      {
        url: rig.system.auth.url,
        connections,
        durationSeconds: seconds,
        chain: {
          next: () => {
            const session = ready.shift();
            if (!session) return {};
            inFlight.add(session);
            return { headers: session.refreshHeaders() };
          },
          // The answer names its session with the challenge it hands out.
          onAnswer: (_status, _body, headers) => {
            const session = byId.get(DeviceBoundSession.answeredId(headers) ?? '');
            if (!session) return;
            session.update(headers);
            inFlight.delete(session);
            ready.push(session);
          },
        },
      },
    );
  const read = (seconds: number) =>
    runLoad(
      { path: '/auth/session', headers: { cookie: rig.sessionCookie } },
      { url: rig.system.auth.url, connections, durationSeconds: seconds },
    );
  // A load stops with requests in flight, whose answers never come: their
  // sessions take a new challenge before the next load, unmeasured.
  const settle = async (): Promise<void> => {
    for (const session of inFlight) {
      await session.resync(auth);
      ready.push(session);
    }
    inFlight.clear();
  };
  const loads = { refresh, read };
  const rounds: Record<keyof typeof loads, LoadRound[]> = { refresh: [], read: [] };
  for (const load of Object.values(loads)) {
    await load(settings.durationSeconds);
    await settle();
  }
  for (let round = 0; round < settings.dbscRefreshRounds; round++) {
    const order = round % 2 === 0 ? (['refresh', 'read'] as const) : (['read', 'refresh'] as const);
    for (const name of order) {
      const cpuBefore = await cpuSeconds(rig.system.auth.pid);
      const result = await loads[name](settings.durationSeconds);
      const cpuAfter = await cpuSeconds(rig.system.auth.pid);
      await settle();
      if (result.errors > 0) progress(`${rig.backend}: DBSC ${name}: ${result.errors} errors`);
      rounds[name].push({
        ...result,
        cpu:
          cpuBefore === undefined || cpuAfter === undefined || result.requests === 0
            ? undefined
            : ((cpuAfter - cpuBefore) * 1e6) / result.requests,
      });
    }
  }
  return {
    backend: rig.backend,
    sessions: count,
    refresh: summarize(rounds.refresh),
    sessionRead: summarize(rounds.read),
  };
}

/** One round of a load at AUTH, with AUTH's CPU per request. */
type LoadRound = LoadResult & { readonly cpu: number | undefined };

/** Medians of the rounds; errors summed. */
function summarize(rounds: readonly LoadRound[]): AuthLoadResult {
  return {
    requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    cpuMicrosPerRequest: rounds.every((r) => r.cpu !== undefined)
      ? median(rounds.map((r) => r.cpu ?? 0))
      : undefined,
    rounds: rounds.map((r) => r.requestsPerSecond),
  };
}

/** Bearer requests through the gateway at a steady rate, its memory sampled throughout. */
async function measureSoak(
  rig: Rig,
  settings: BenchSettings,
  progress: Progress,
): Promise<SoakResult> {
  progress(
    `${rig.backend}: gateway memory at ${settings.soakRate} req/s for ${settings.soakSeconds} s`,
  );
  // A fresh token: the run so far may have used up much of the first one's life.
  const { accessToken } = await loginWithToken(http(rig.system.auth), rig.credentials);
  const samples: number[] = [];
  const sampler = setInterval(
    () => {
      void residentMiB(rig.gateway.pid).then((mib) => mib !== undefined && samples.push(mib));
    },
    Math.max(250, (settings.soakSeconds * 1000) / 60),
  );
  let result;
  try {
    result = await runLoad(
      { path: '/api/cart', headers: { authorization: `Bearer ${accessToken}` } },
      {
        url: rig.gateway.url,
        connections: settings.connections,
        durationSeconds: settings.soakSeconds,
        overallRate: settings.soakRate,
      },
    );
  } finally {
    clearInterval(sampler);
  }
  const fifth = Math.max(1, Math.floor(samples.length / 5));
  const startRssMiB = median(samples.slice(0, fifth));
  const endRssMiB = median(samples.slice(-fifth));
  return {
    backend: rig.backend,
    seconds: settings.soakSeconds,
    rate: settings.soakRate,
    requests: result.requests,
    errors: result.errors,
    startRssMiB,
    endRssMiB,
    rssChange: startRssMiB === 0 ? 0 : (endRssMiB - startRssMiB) / startRssMiB,
  };
}

/** Starts counting a process's CPU time; `cores()` is the average number of cores it kept busy since. */
async function measureCpu(
  pid: number | undefined,
): Promise<{ cores(): Promise<number | undefined> }> {
  const startCpu = await cpuSeconds(pid);
  const startWall = performance.now();
  return {
    cores: async () => {
      const endCpu = await cpuSeconds(pid);
      if (startCpu === undefined || endCpu === undefined) return undefined;
      return (endCpu - startCpu) / ((performance.now() - startWall) / 1000);
    },
  };
}

/** The machine a run measured on, for its report. */
export function describeMachine(): BenchReport['machine'] {
  const cpu = cpus()[0];
  return {
    cpu: cpu ? cpu.model.trim() : 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}
