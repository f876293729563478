/** Settings of one bench run. */
export interface BenchSettings {
  /** Seconds per round of each throughput scenario. */
  readonly durationSeconds: number;
  /** Rounds per throughput scenario, in rotating order; the median counts. */
  readonly rounds: number;
  /** Concurrent connections of a throughput scenario. */
  readonly connections: number;
  /** Seconds of unmeasured load before the first round. */
  readonly warmupSeconds: number;
  readonly loginSeconds: number;
  readonly refreshSeconds: number;
  /**
   * Rounds of the DBSC refresh and the session read it is set beside, each
   * `durationSeconds` long, taking turns.
   */
  readonly dbscRefreshRounds: number;
  /** Revocations timed per service. */
  readonly revocationTrials: number;
  /** Visits of the cart site, signed in on SHOP by single sign-on, timed one by one. */
  readonly singleSignOnTrials: number;
  /** The gateway's memory under a steady rate for this long. */
  readonly soakSeconds: number;
  readonly soakRate: number;
}

/** `npm run bench`: about 6 minutes on a 2-core machine, 8–9 with PostgreSQL + Redis. */
export const FULL_RUN: BenchSettings = {
  // Many short rounds: on a shared machine, speed drifts over seconds, and
  // a round's scenarios run within seconds of each other.
  durationSeconds: 2,
  rounds: 12,
  connections: 20,
  warmupSeconds: 3,
  loginSeconds: 10,
  refreshSeconds: 10,
  dbscRefreshRounds: 3,
  revocationTrials: 5,
  singleSignOnTrials: 50,
  soakSeconds: 120,
  soakRate: 1_000,
};

/** `npm run bench -- --smoke` and the e2e suite: every scenario once, for a second. */
export const SMOKE_RUN: BenchSettings = {
  durationSeconds: 1,
  rounds: 1,
  connections: 4,
  warmupSeconds: 0.5,
  loginSeconds: 1,
  refreshSeconds: 1,
  // Two: a session must take part again after a load stopped mid-request.
  dbscRefreshRounds: 2,
  revocationTrials: 1,
  singleSignOnTrials: 2,
  soakSeconds: 3,
  soakRate: 100,
};

/** The throughput scenarios, as the issue numbers them. */
export type ScenarioId =
  | 'gateway-unauthenticated'
  | 'gateway-bearer'
  | 'gateway-dpop'
  | 'gateway-session'
  | 'gateway-dbsc'
  | 'peer-bare-proxy'
  | 'peer-usual-nest-gateway';

export const SCENARIO_TITLES: Readonly<Record<ScenarioId, string>> = {
  'gateway-unauthenticated': 'gateway, no credential (its ceiling)',
  'gateway-bearer': 'gateway, Bearer',
  'gateway-dpop': 'gateway, DPoP-bound token',
  'gateway-session': 'gateway, session cookie',
  'gateway-dbsc': 'gateway, device-bound session (DBSC)',
  'peer-bare-proxy': 'peer: bare fastify + undici proxy',
  'peer-usual-nest-gateway': 'peer: usual NestJS gateway',
};

/** The backends a run can cover. */
export type BenchBackend = 'embedded' | 'postgres+redis';

/** One throughput scenario's figures: medians of its rounds. */
export interface ThroughputResult {
  readonly scenario: ScenarioId;
  readonly backend: BenchBackend;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /**
   * CPU time the process under test spent per request, µs (median of the
   * rounds): its own cost, whatever the load generator and the upstream,
   * which share the machine, cost meanwhile. Undefined off Linux.
   */
  readonly cpuMicrosPerRequest: number | undefined;
  /** Resident memory of the process under test after its last round, MiB. */
  readonly rssMiB: number | undefined;
  /** Every round's req/s, in the order they ran. */
  readonly rounds: readonly number[];
  /**
   * DPoP proofs signed during the rounds because the pool made before each
   * ran dry (the load generator's CPU then went to signing); DPoP only.
   */
  readonly proofsOnDemand?: number;
}

/**
 * Keycloak sizes per vCPU of Keycloak itself, the database apart: the rate
 * is also given per core of CPU time the auth process used (its argon2
 * threads included), beside per core of the whole machine, which here also
 * runs the database and the load generator.
 */
export interface LoginResult {
  readonly backend: BenchBackend;
  readonly loginsPerSecond: number;
  readonly loginsPerSecondPerCore: number;
  /** Cores' worth of CPU the auth process used meanwhile (undefined off Linux). */
  readonly authCores: number | undefined;
  readonly loginsPerAuthCore: number | undefined;
  readonly p99Ms: number;
  readonly errors: number;
  /** `/health/live` of auth, sampled while the logins ran. */
  readonly liveP50Ms: number;
  readonly liveP99Ms: number;
  readonly liveSamples: number;
}

export interface RefreshResult {
  readonly backend: BenchBackend;
  readonly refreshesPerSecond: number;
  readonly refreshesPerSecondPerCore: number;
  readonly authCores: number | undefined;
  readonly refreshesPerAuthCore: number | undefined;
  readonly p99Ms: number;
  readonly errors: number;
}

/** One request at AUTH under load: medians of its rounds. */
export interface AuthLoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** CPU time AUTH spent per request, µs (median of the rounds); undefined off Linux. */
  readonly cpuMicrosPerRequest: number | undefined;
  /** Every round's req/s, in the order they ran. */
  readonly rounds: readonly number[];
}

/**
 * The DBSC refresh at AUTH, each request a proof over the challenge its
 * session's previous answer handed out, beside a read of a plain session
 * at AUTH (`GET /auth/session`) in the same rounds, taking turns.
 */
export interface DbscRefreshResult {
  readonly backend: BenchBackend;
  /** Device-bound sessions the connections took turns with. */
  readonly sessions: number;
  readonly refresh: AuthLoadResult;
  readonly sessionRead: AuthLoadResult;
}

/** Time from a revocation's answer to the first refused request, per service. */
export interface RevocationResult {
  readonly backend: BenchBackend;
  /**
   * Where the refusal was seen: a request to a service, or the live cart's
   * socket at the gateway closing (its close code checked) after the token's
   * revocation or the session's logout.
   */
  readonly service: 'gateway' | 'cart' | 'auth' | 'live cart, token' | 'live cart, session';
  readonly maxMs: number;
  readonly medianMs: number;
  readonly trials: number;
  /** Trials where the token was still accepted after the deadline. */
  readonly missed: number;
}

/** From "open the cart site" to "cart shown, signed in" by single sign-on, redirects included. */
export interface SingleSignOnResult {
  readonly backend: BenchBackend;
  readonly trials: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Redirects on the way (the most of any trial). */
  readonly redirects: number;
  /** CPU time AUTH spent per silent sign-in (authorization and token endpoints), ms. */
  readonly authCpuMsPerSignIn: number;
}

export interface SoakResult {
  readonly backend: BenchBackend;
  readonly seconds: number;
  readonly rate: number;
  readonly requests: number;
  readonly errors: number;
  /** Median RSS of the first and last fifth of the samples, MiB. */
  readonly startRssMiB: number;
  readonly endRssMiB: number;
  /** (end - start) / start. */
  readonly rssChange: number;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
}

/** Everything a run measured. */
export interface BenchReport {
  readonly startedAt: string;
  readonly mode: 'full' | 'smoke';
  readonly settings: BenchSettings;
  readonly machine: Machine;
  readonly backends: readonly BenchBackend[];
  readonly throughput: readonly ThroughputResult[];
  readonly login: LoginResult;
  readonly refresh: RefreshResult;
  readonly dbscRefresh: readonly DbscRefreshResult[];
  readonly revocation: readonly RevocationResult[];
  readonly singleSignOn: readonly SingleSignOnResult[];
  readonly soak: SoakResult;
  readonly targets: readonly TargetResult[];
}

/** A target of the issue, judged from this run's figures. */
export interface TargetResult {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}
