import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's own start-up chatter: a line per module initialised, per controller
 * and per route mapped, and two for starting. The service's one "listening"
 * line says the same at `info`; these stay available at `debug`.
 */
const BOOTSTRAP_CONTEXTS: ReadonlySet<unknown> = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
]);

/**
 * Nest's logger (`NestFactory.create(…, { logger })`), writing through the
 * process's pino logger from Nest's first line on. A line about one request
 * names it itself (`req: { id }`): nothing is bound to a request's async
 * context. Nest's bootstrap lines are at `debug`. A failed bootstrap is
 * reported by whoever called `NestFactory.create` (with `abortOnError: false`
 * Nest rethrows it), so Nest's `ExceptionHandler` report of the same error is
 * at `debug` too.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write(BOOTSTRAP_CONTEXTS.has(params.at(-1)) ? 'debug' : 'info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write(params.at(-1) === 'ExceptionHandler' ? 'debug' : 'error', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes the context last: `error(message, stack, context)`, `log(message, context)`. */
  private write(level: Level, message: unknown, params: unknown[]): void {
    const logger = this.root;
    if (!logger.isLevelEnabled(level)) return;
    const context = params.at(-1);
    const fields: Record<string, unknown> = typeof context === 'string' ? { context } : {};
    const [stack] = params.slice(0, -1);
    if (message instanceof Error) {
      logger[level]({ ...fields, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      logger[level]({ ...fields, ...message });
    } else if (typeof stack === 'string' && /\n\s*at /.test(stack)) {
      const err = new Error(String(message));
      err.stack = stack;
      logger[level]({ ...fields, err }, String(message));
    } else {
      logger[level](fields, String(message));
    }
  }
}
