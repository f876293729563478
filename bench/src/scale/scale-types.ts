import type { BenchBackend } from '../scenarios';

/** Progress lines for the person waiting. */
export type ScaleProgress = (line: string) => void;

/** Sizes of one `--scale` run: the full run's, or tiny ones for the smoke run. */
export interface ScaleSettings {
  readonly smoke: boolean;
  /** Keep-alive connections of the gateway sweep. */
  readonly connections: readonly number[];
  /** Live sessions in the store. */
  readonly sessions: readonly number[];
  /** Live denials in the revocation list. */
  readonly denials: readonly number[];
  /** Distinct access tokens in use at once, against the verified-token cache. */
  readonly distinctTokens: readonly number[];
  /** Users in the database. */
  readonly users: readonly number[];
  /** Seconds of load per point. */
  readonly loadSeconds: number;
}

/** One measured column of a series, e.g. `{ key: 'rps', label: 'req/s', unit: 'req/s' }`. */
export interface ScaleColumn {
  readonly key: string;
  readonly label: string;
  readonly unit: string;
}

/** One size of a series and what was measured at it, by column key. */
export interface ScalePoint {
  readonly x: number;
  readonly values: Readonly<Record<string, number | undefined>>;
}

/** How one cost grows with one size: a table section and a chart. */
export interface ScaleSeries {
  /** Stable id, also the chart's file name: `tmp/bench/scale/<id>.svg`. */
  readonly id: string;
  readonly title: string;
  readonly backend: BenchBackend;
  /** What the sizes count, e.g. 'keep-alive connections'. */
  readonly xLabel: string;
  readonly columns: readonly ScaleColumn[];
  readonly points: readonly ScalePoint[];
  /** Where the curve bends, in words ('flat' when it does not), judged from the points. */
  readonly bend: string;
  /** Seeding times and other facts a reader needs to trust the points. */
  readonly notes: readonly string[];
}
