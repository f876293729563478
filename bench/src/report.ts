import type {
  BenchBackend,
  BenchReport,
  ScenarioId,
  TargetResult,
  ThroughputResult,
} from './scenarios';
import { SCENARIO_TITLES } from './scenarios';
import { median } from './load';

/** Keycloak's published sizing: password logins and refreshes per second per vCPU. */
const KEYCLOAK_LOGINS_PER_CORE = 15;
const KEYCLOAK_REFRESHES_PER_CORE = 120;

const cores = (value: number | undefined): string =>
  value === undefined ? 'an unknown number of cores' : `${value.toFixed(2)} cores`;
const percent = (ratio: number): string => `${(ratio * 100).toFixed(0)} %`;
const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function find(
  report: Pick<BenchReport, 'throughput'>,
  scenario: ScenarioId,
  backend: BenchBackend,
): ThroughputResult | undefined {
  return report.throughput.find((r) => r.scenario === scenario && r.backend === backend);
}

/**
 * `a / b` of two scenarios' req/s: the median of the ratios round by round
 * (within a round the two ran seconds apart, so a machine that slows
 * down for a while moves both), or undefined when either did not run.
 */
export function ratio(
  report: Pick<BenchReport, 'throughput'>,
  a: [ScenarioId, BenchBackend],
  b: [ScenarioId, BenchBackend],
): number | undefined {
  const top = find(report, ...a);
  const bottom = find(report, ...b);
  return top && bottom ? roundByRound(top, bottom) : undefined;
}

/** `top / bottom` of two loads' req/s that took turns: the median of the rounds' ratios. */
function roundByRound(
  top: { readonly requestsPerSecond: number; readonly rounds: readonly number[] },
  bottom: { readonly requestsPerSecond: number; readonly rounds: readonly number[] },
): number | undefined {
  if (bottom.requestsPerSecond === 0) return undefined;
  const perRound = top.rounds
    .map((value, i) => value / (bottom.rounds[i] ?? 0))
    .filter((value) => Number.isFinite(value));
  return perRound.length === top.rounds.length
    ? median(perRound)
    : top.requestsPerSecond / bottom.requestsPerSecond;
}

/** "; <whose> CPU per request a µs against b µs (a/b×)", or nothing where it was not read. */
function cpuComparison(whose: string, a: number | undefined, b: number | undefined): string {
  return a && b
    ? `; ${whose} CPU per request ${fixed(a)} µs against ${fixed(b)} µs (${(a / b).toFixed(2)}×)`
    : '';
}

// A refused credential answers fast: with errors the figures measure refusals.
const errorNote = (errors: number): string =>
  errors === 0 ? 'No errors' : `**${errors} errors: a broken measurement, not a slow one**`;

/**
 * DPoP against Bearer through the gateway, per backend: the share of
 * Bearer's req/s (round by round) and the gateway's CPU per request of each.
 * No target: the price of binding tokens to a key, measured.
 */
export function dpopComparison(report: Pick<BenchReport, 'throughput' | 'backends'>): string[] {
  return report.backends.flatMap((backend) => {
    const dpop = find(report, 'gateway-dpop', backend);
    const bearer = find(report, 'gateway-bearer', backend);
    const share = ratio(report, ['gateway-dpop', backend], ['gateway-bearer', backend]);
    if (!dpop || !bearer || share === undefined) return [];
    const cpu = cpuComparison(
      "the gateway's",
      dpop.cpuMicrosPerRequest,
      bearer.cpuMicrosPerRequest,
    );
    const errors = errorNote(dpop.errors);
    const onDemand = dpop.proofsOnDemand
      ? `; ${dpop.proofsOnDemand} proofs signed during the load when the pool ran dry`
      : '';
    return [
      `DPoP-bound token vs Bearer through the gateway (${backend}): ${percent(share)} of the req/s${cpu}. ${errors}${onDemand}.`,
    ];
  });
}

/**
 * The price of DBSC, per backend: a device-bound session against the plain
 * one through the gateway (the bound cookie's check on every request), and
 * a refresh against a read of a plain session at AUTH (and against a login
 * where this backend measured logins). No target: measured, not judged.
 */
export function dbscComparison(
  report: Pick<BenchReport, 'throughput' | 'backends' | 'dbscRefresh' | 'login'>,
): string[] {
  return report.backends.flatMap((backend) => {
    const lines: string[] = [];
    const bound = find(report, 'gateway-dbsc', backend);
    const plain = find(report, 'gateway-session', backend);
    const share = ratio(report, ['gateway-dbsc', backend], ['gateway-session', backend]);
    if (bound && plain && share !== undefined) {
      const cpu = cpuComparison(
        "the gateway's",
        bound.cpuMicrosPerRequest,
        plain.cpuMicrosPerRequest,
      );
      lines.push(
        `Device-bound session (DBSC) vs session cookie through the gateway (${backend}): ${percent(share)} of the req/s${cpu}. ${errorNote(bound.errors)}.`,
      );
    }
    const dbsc = report.dbscRefresh.find((r) => r.backend === backend);
    const perRead = dbsc && roundByRound(dbsc.refresh, dbsc.sessionRead);
    if (dbsc && perRead !== undefined) {
      const { refresh, sessionRead } = dbsc;
      const cpu = cpuComparison(
        "AUTH's",
        refresh.cpuMicrosPerRequest,
        sessionRead.cpuMicrosPerRequest,
      );
      const login = report.login.backend === backend ? report.login : undefined;
      const perLogin =
        login && login.loginsPerSecond > 0
          ? ` A refresh ran at ${(refresh.requestsPerSecond / login.loginsPerSecond).toFixed(0)}× the rate of a token login (argon2id, the password check a session login makes too).`
          : '';
      lines.push(
        `DBSC refresh vs a session read at AUTH (${backend}): ${percent(perRead)} of the req/s (${fixed(refresh.requestsPerSecond)} against ${fixed(sessionRead.requestsPerSecond)})${cpu}. ${errorNote(refresh.errors + sessionRead.errors)}.${perLogin}`,
      );
    }
    return lines;
  });
}

/** The issue's targets, judged from one run's figures. */
export function judgeTargets(report: Omit<BenchReport, 'targets'>): TargetResult[] {
  const targets: TargetResult[] = [];
  /**
   * A throughput ratio of two scenarios, judged against `threshold`; beside
   * it, the same comparison in the CPU each process under test spent per
   * request (inverted, so that both read "as fast as"): the process's own
   * cost, apart from what the load generator and the upstream cost on the
   * cores they share with it.
   */
  const ratioTarget = (
    target: string,
    a: [ScenarioId, BenchBackend],
    b: [ScenarioId, BenchBackend],
    threshold: number,
    format: (value: number) => string = percent,
  ): void => {
    const value = ratio(report, a, b);
    if (value === undefined) return;
    const ownA = find(report, ...a)?.cpuMicrosPerRequest;
    const ownB = find(report, ...b)?.cpuMicrosPerRequest;
    const own = ownA && ownB ? `; by CPU per request: ${format(ownB / ownA)}` : '';
    targets.push({ target, measured: `${format(value)}${own}`, met: value >= threshold });
  };
  ratioTarget(
    'Bearer through the gateway ≥ 70 % of the bare proxy',
    ['gateway-bearer', 'embedded'],
    ['peer-bare-proxy', 'embedded'],
    0.7,
  );
  ratioTarget(
    "The gateway's ceiling ≥ 80 % of the bare proxy",
    ['gateway-unauthenticated', 'embedded'],
    ['peer-bare-proxy', 'embedded'],
    0.8,
  );
  ratioTarget(
    'Bearer through the gateway ≥ 90 % of its ceiling',
    ['gateway-bearer', 'embedded'],
    ['gateway-unauthenticated', 'embedded'],
    0.9,
  );
  // A store lookup per request is the point of a server-side session: judged
  // against the gateway's own ceiling on the same backend.
  for (const [backend, threshold] of [
    ['embedded', 0.75],
    ['postgres+redis', 0.85],
  ] as const) {
    if (!report.backends.includes(backend)) continue;
    ratioTarget(
      `Session cookie (${backend === 'embedded' ? 'SQLite' : 'Redis'}) ≥ ${threshold * 100} % of the ceiling`,
      ['gateway-session', backend],
      ['gateway-unauthenticated', backend],
      threshold,
    );
  }
  ratioTarget(
    'Bearer through the gateway ≥ 3× the usual NestJS gateway',
    ['gateway-bearer', 'embedded'],
    ['peer-usual-nest-gateway', 'embedded'],
    3,
    (value) => `${value.toFixed(1)}×`,
  );
  for (const backend of report.backends) {
    const slowest = report.revocation
      .filter((r) => r.backend === backend)
      .reduce((max, r) => (r.missed > 0 ? Infinity : Math.max(max, r.maxMs)), 0);
    targets.push({
      target: `A revocation bites everywhere within 1 s (${backend})`,
      measured: Number.isFinite(slowest) ? `${fixed(slowest)} ms at the slowest` : 'missed',
      met: slowest <= 1_000,
    });
  }
  // Keycloak's sizing counts Keycloak's own vCPUs: judged per core the auth
  // process used, or per machine core where that cannot be read.
  const login = report.login;
  const loginsPerCore = login.loginsPerAuthCore ?? login.loginsPerSecondPerCore;
  targets.push({
    target: `Logins ≥ ${KEYCLOAK_LOGINS_PER_CORE}/s per core (argon2id)`,
    measured: `${fixed(loginsPerCore, 1)}/s per core of AUTH (${fixed(login.loginsPerSecondPerCore, 1)} per machine core)`,
    met: loginsPerCore >= KEYCLOAK_LOGINS_PER_CORE,
  });
  targets.push({
    target: '/health/live p99 ≤ 20 ms under login load',
    measured: `${fixed(report.login.liveP99Ms, 1)} ms`,
    met: report.login.liveP99Ms <= 20,
  });
  const refresh = report.refresh;
  const refreshesPerCore = refresh.refreshesPerAuthCore ?? refresh.refreshesPerSecondPerCore;
  targets.push({
    target: `Refreshes ≥ ${4 * KEYCLOAK_REFRESHES_PER_CORE}/s per core (${refresh.backend})`,
    measured: `${fixed(refreshesPerCore)}/s per core of AUTH (${fixed(refresh.refreshesPerSecondPerCore)} per machine core)`,
    met: refreshesPerCore >= 4 * KEYCLOAK_REFRESHES_PER_CORE,
  });
  targets.push({
    target: `Gateway RSS flat (±10 %) over ${report.soak.seconds} s at ${report.soak.rate} req/s, no errors`,
    measured: `${fixed(report.soak.startRssMiB)} → ${fixed(report.soak.endRssMiB)} MiB (${report.soak.rssChange >= 0 ? '+' : ''}${(report.soak.rssChange * 100).toFixed(1)} %), ${report.soak.errors} errors`,
    met: Math.abs(report.soak.rssChange) <= 0.1 && report.soak.errors === 0,
  });
  return targets;
}

/** The report as Markdown: docs/benchmarks.md pastes it as it is. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines: string[] = [
    `Measured ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC (${report.mode} run) on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}. Load: autocannon, ${report.settings.connections} connections, on the same machine. req/s: medians of ${report.settings.rounds} rounds of ${report.settings.durationSeconds} s, the scenarios taking turns; ratios: medians of the round-by-round ratios.`,
    '',
    '| scenario | backend | req/s | p50 ms | p99 ms | errors | CPU µs/req | RSS MiB |',
    '|---|---|--:|--:|--:|--:|--:|--:|',
  ];
  for (const r of report.throughput) {
    lines.push(
      `| ${SCENARIO_TITLES[r.scenario]} | ${r.backend} | ${fixed(r.requestsPerSecond)} | ${fixed(r.p50Ms, 1)} | ${fixed(r.p99Ms, 1)} | ${r.errors} | ${r.cpuMicrosPerRequest === undefined ? '–' : fixed(r.cpuMicrosPerRequest)} | ${r.rssMiB === undefined ? '–' : fixed(r.rssMiB)} |`,
    );
  }
  const l = report.login;
  const f = report.refresh;
  lines.push(
    `| login (argon2id), AUTH | ${l.backend} | ${fixed(l.loginsPerSecond, 1)} | – | ${fixed(l.p99Ms, 1)} | ${l.errors} | – | – |`,
    `| refresh rotation, AUTH | ${f.backend} | ${fixed(f.refreshesPerSecond)} | – | ${fixed(f.p99Ms, 1)} | ${f.errors} | – | – |`,
    ...report.dbscRefresh.flatMap(({ backend, refresh, sessionRead }) =>
      (
        [
          ['DBSC refresh, AUTH', refresh],
          ['session read (`GET /auth/session`), AUTH', sessionRead],
        ] as const
      ).map(
        ([name, r]) =>
          `| ${name} | ${backend} | ${fixed(r.requestsPerSecond)} | ${fixed(r.p50Ms, 1)} | ${fixed(r.p99Ms, 1)} | ${r.errors} | ${r.cpuMicrosPerRequest === undefined ? '–' : fixed(r.cpuMicrosPerRequest)} | – |`,
      ),
    ),
    '',
    ...dpopComparison(report).flatMap((line) => [line, '']),
    ...dbscComparison(report).flatMap((line) => [line, '']),
    `While logins ran, AUTH's \`/health/live\` answered in p50 ${fixed(l.liveP50Ms, 1)} ms, p99 ${fixed(l.liveP99Ms, 1)} ms (${l.liveSamples} samples). AUTH kept ${cores(l.authCores)} busy during the logins and ${cores(f.authCores)} during the refreshes; the rest of the machine ran the stores and the load generator.`,
    '',
    '| revocation → first refusal, or the live cart socket closed | backend | median ms | max ms | missed |',
    '|---|---|--:|--:|--:|',
    ...report.revocation.map(
      (r) =>
        `| ${r.service} | ${r.backend} | ${fixed(r.medianMs, 1)} | ${fixed(r.maxMs, 1)} | ${r.missed}/${r.trials} |`,
    ),
    '',
    '| single sign-on: open the cart site → cart shown, signed in | backend | p50 ms | p99 ms | redirects | AUTH CPU ms per sign-in |',
    '|---|---|--:|--:|--:|--:|',
    ...report.singleSignOn.map(
      (r) =>
        `| ${r.trials} visits, a new browser each | ${r.backend} | ${fixed(r.p50Ms, 1)} | ${fixed(r.p99Ms, 1)} | ${r.redirects} | ${fixed(r.authCpuMsPerSignIn, 2)} |`,
    ),
    '',
    '| target | measured | met |',
    '|---|---|---|',
    ...report.targets.map((t) => `| ${t.target} | ${t.measured} | ${t.met ? 'yes' : '**no**'} |`),
  );
  return `${lines.join('\n')}\n`;
}

const BAR_COLOURS: Readonly<Record<ScenarioId, string>> = {
  'gateway-unauthenticated': '#9aa5b1',
  'gateway-bearer': '#2f6fde',
  'gateway-dpop': '#7b4fd6',
  'gateway-session': '#1f9d74',
  'gateway-dbsc': '#13614a',
  'peer-bare-proxy': '#c9a227',
  'peer-usual-nest-gateway': '#d1495b',
};

const escapeXml = (text: string): string =>
  text.replace(
    /[<>&"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c] ?? c,
  );

/** A horizontal bar chart of the throughput scenarios' req/s, as a standalone SVG. */
export function renderChart(report: BenchReport): string {
  const rows = report.throughput;
  const width = 840;
  const label = 360;
  const bar = 22;
  const gap = 10;
  const top = 44;
  const height = top + rows.length * (bar + gap) + 30;
  const max = Math.max(1, ...rows.map((r) => r.requestsPerSecond));
  const scale = (width - label - 90) / max;
  const bars = rows.map((r, i) => {
    const y = top + i * (bar + gap);
    const w = Math.max(1, r.requestsPerSecond * scale);
    const name = `${SCENARIO_TITLES[r.scenario]} (${r.backend})`;
    return [
      `<text x="${label - 8}" y="${y + bar * 0.7}" text-anchor="end">${escapeXml(name)}</text>`,
      `<rect x="${label}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${BAR_COLOURS[r.scenario]}"/>`,
      `<text x="${(label + w + 6).toFixed(1)}" y="${y + bar * 0.7}">${fixed(r.requestsPerSecond)}</text>`,
    ].join('');
  });
  const m = report.machine;
  const caption = `req/s, median of ${report.settings.rounds} × ${report.settings.durationSeconds} s, ${report.settings.connections} connections; ${m.cores} cores, ${m.cpu}; ${report.startedAt.slice(0, 10)}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Through the gateway and its peers to the same upstream</text>`,
    ...bars,
    `<text x="12" y="${height - 10}" fill="#555" font-size="11">${escapeXml(caption)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
