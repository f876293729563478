import { pino } from 'pino';
import type { DestinationStream, Level, Logger } from 'pino';
import type { PrettyOptions } from 'pino-pretty';

/** `json` for a log pipeline, `pretty` for a developer's terminal (LOG_FORMAT). */
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  readonly format: LogFormat;
  /** The least severe level written; `info` unless told otherwise. */
  readonly level?: Level;
  /** Where the lines go: stdout unless told otherwise (a test gives its own). */
  readonly destination?: DestinationStream;
}

/**
 * What may reach a log line, whatever a serializer or an error object drags
 * along: credentials are censored by path, on every line of the process.
 */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-identity-token"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refresh_token',
  '*.access_token',
];

/**
 * Keys the pretty line leaves out: the process (one terminal, one process per
 * prefix), what the message says already (the context, the request, the
 * audit event, where the service listens), and the error, whose message is in the line's and whose stack
 * would break the one line (LOG_FORMAT=json keeps it).
 */
const PRETTY_IGNORED = 'pid,hostname,context,logger,event,req,res,responseTime,listening,err';

/** `[context] message`, an audit event as `[audit] event`, a request as `GET /path 200 3 ms`. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const req = log['req'] as { method?: string; path?: string } | undefined;
  const res = log['res'] as { statusCode?: number } | undefined;
  if (req && res && log['responseTime'] !== undefined) {
    return `${req.method} ${req.path} ${res.statusCode} ${String(log['responseTime'])} ms`;
  }
  const source = log['context'] ?? log['logger'];
  const message = String(log[messageKey] ?? log['event'] ?? '');
  return source === undefined ? message : `[${String(source)}] ${message}`;
}

const PRETTY: PrettyOptions = {
  colorize: true,
  singleLine: true,
  translateTime: 'SYS:HH:MM:ss.l',
  ignore: PRETTY_IGNORED,
  messageFormat: prettyMessage,
};

/**
 * pino's `isoTime`, made once per millisecond: under load many lines share
 * one, and `toISOString` is a good part of a request line's cost. Exact to
 * the millisecond, as `isoTime` is.
 */
export function cachedIsoTime(now: () => number = Date.now): () => string {
  let at = Number.NaN;
  let field = '';
  return () => {
    const ms = now();
    if (ms !== at) {
      at = ms;
      field = `,"time":"${new Date(ms).toISOString()}"`;
    }
    return field;
  };
}

/**
 * The logger of a process: access, application and audit lines all carry
 * pino's level label (`"level":"info"`) and an ISO 8601 UTC `time`, so that
 * one query reads them all. `json` writes one object per line; `pretty` one
 * coloured line per record (pino-pretty, a development dependency: loaded
 * only when asked for, which production refuses).
 *
 * Either way a line is written to stdout before the next line of code runs:
 * a crash, or a fatal line followed by exit(1), loses nothing. It is also
 * the cheaper way here: pino's default, a write per batch of lines handed to
 * libuv's thread pool, cost the gateway 10–23 µs more CPU per request than a
 * write per line (`docs/benchmarks.md`). A log reader that falls behind slows
 * the service down rather than the service holding lines in memory.
 */
export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const settings = {
    level: options.level ?? 'info',
    formatters: { level: (label: string) => ({ level: label }) },
    timestamp: cachedIsoTime(),
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.format === 'pretty') {
    const { prettyFactory } = await import('pino-pretty');
    const prettify = prettyFactory(PRETTY);
    // Formatted in the same call, not in a stream pipeline.
    const out = options.destination ?? stdout();
    return pino(settings, { write: (line: string) => out.write(prettify(line)) });
  }
  return pino(settings, options.destination ?? stdout());
}

/** The process's stdout, written synchronously. */
function stdout(): DestinationStream {
  return pino.destination({ fd: 1, sync: true });
}

/** Quieter under test: warnings and errors only. */
export function logLevel(nodeEnv: 'development' | 'test' | 'production'): Level {
  return nodeEnv === 'test' ? 'warn' : 'info';
}
