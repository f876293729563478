/** Settings of one soak run. */
export interface SoakSettings {
  /** Measured time, after the warm-up. */
  readonly durationSeconds: number;
  /** Total requests per second, every operation together. */
  readonly rate: number;
  /** Load at the same rate before the measured time; its requests are not in the latency figures. */
  readonly warmupSeconds: number;
  /** Pre-registered users the requests are spread over. */
  readonly users: number;
  /**
   * Requests in flight at most. A request due while this many are pending is
   * not sent and counts as an error: the system fell behind the schedule.
   */
  readonly maxInFlight: number;
  /** A progress line this often. */
  readonly progressSeconds: number;
}

/** `npm run soak` without arguments: 10 minutes at a rate a 2-core machine keeps up with. */
export const DEFAULT_SOAK: SoakSettings = {
  durationSeconds: 600,
  rate: 200,
  warmupSeconds: 30,
  users: 20,
  maxInFlight: 256,
  progressSeconds: 30,
};

export const SOAK_USAGE = `npm run soak [-- [--duration 10m] [--rate 200] [--warmup 30s] [--users 20] [--max-in-flight 256]]

  --duration       measured time after the warm-up: 90, 90s, 10m, 1h (default 10m)
  --rate           requests per second, every operation together (default 200)
  --warmup         load before the measured time, to settle memory (default 30s)
  --users          pre-registered users the load is spread over (default 20)
  --max-in-flight  requests pending at most; one more due counts as an error (default 256)

PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set, else the embedded SQLite.
Results in tmp/soak/. Exits 1 when any request failed.
`;

const UNITS: Readonly<Record<string, number>> = { '': 1, s: 1, m: 60, h: 3600 };

/** `90`, `90s`, `1.5m`, `1h` → seconds; undefined for anything else. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  const seconds = Number(match[1]) * (UNITS[match[2] ?? ''] ?? 1);
  return seconds > 0 ? seconds : undefined;
}

/** The command line (`--name value` or `--name=value`) over the defaults, or the problems found. */
export function parseSoakArgs(
  args: readonly string[],
): { settings: SoakSettings } | { problems: string[] } {
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match?.[1]) {
      problems.push(`unexpected argument: ${arg}`);
      continue;
    }
    const value = match[2] ?? args[i + 1];
    if (match[2] === undefined) i += 1;
    if (value === undefined || value.startsWith('--')) {
      problems.push(`--${match[1]} needs a value`);
      continue;
    }
    values.set(match[1], value);
  }
  const seconds = (name: string, fallback: number): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const parsed = parseDuration(text);
    if (parsed === undefined) problems.push(`--${name} ${text}: expected e.g. 90, 90s, 10m, 1h`);
    return parsed ?? fallback;
  };
  const positive = (name: string, fallback: number, integer: boolean): number => {
    const text = values.get(name);
    if (text === undefined) return fallback;
    const parsed = Number(text);
    if (!(parsed > 0) || (integer && !Number.isInteger(parsed))) {
      problems.push(`--${name} ${text}: expected a positive ${integer ? 'integer' : 'number'}`);
      return fallback;
    }
    return parsed;
  };
  const settings: SoakSettings = {
    ...DEFAULT_SOAK,
    durationSeconds: seconds('duration', DEFAULT_SOAK.durationSeconds),
    rate: positive('rate', DEFAULT_SOAK.rate, false),
    warmupSeconds: seconds('warmup', DEFAULT_SOAK.warmupSeconds),
    users: positive('users', DEFAULT_SOAK.users, true),
    maxInFlight: positive('max-in-flight', DEFAULT_SOAK.maxInFlight, true),
  };
  const known = ['duration', 'rate', 'warmup', 'users', 'max-in-flight'];
  for (const name of values.keys()) {
    if (!known.includes(name)) problems.push(`unknown option: --${name}`);
  }
  return problems.length > 0 ? { problems } : { settings };
}
