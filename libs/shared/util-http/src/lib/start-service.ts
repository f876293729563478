import type { INestApplication } from '@nestjs/common';
import type { DestinationStream, Level, Logger } from 'pino';
import { listen } from './create-http-app';
import { createLogger, logLevel } from './logger';
import type { LogFormat } from './logger';

/** What every service's config has for starting it. */
export interface ServiceConfig {
  readonly NODE_ENV: 'development' | 'test' | 'production';
  readonly LOG_FORMAT: LogFormat;
  readonly LOG_LEVEL?: Level;
  readonly HOST: string;
  readonly PORT: number;
  readonly METRICS_PORT: number;
  readonly SHUTDOWN_DELAY_MS: number;
}

export interface ServiceDefinition {
  /** `auth`, `cart` or `gateway`. */
  readonly name: string;
  readonly config: ServiceConfig;
  /** Its public origin, for the listening line. */
  readonly origin: string;
  /** Builds the app; its lines go through `logger`. */
  readonly createApp: (logger: Logger) => Promise<INestApplication>;
}

/** For tests: where the lines go and what exiting does. */
export interface StartServiceIo {
  readonly destination?: DestinationStream;
  readonly exit?: (code: number) => void;
}

/**
 * A service's entry point: its logger (LOG_FORMAT, LOG_LEVEL: `warn` and up under test by default),
 * its app, then one line, whatever the level, saying where it listens, or one
 * `fatal` line saying why it could not (the message, and pino's `err`) and
 * exit 1. `npm start` waits for the listening line. Never rejects.
 */
export async function startService(
  service: ServiceDefinition,
  io: StartServiceIo = {},
): Promise<void> {
  const { name, config, origin } = service;
  const exit = io.exit ?? ((code) => process.exit(code));
  let logger: Logger;
  try {
    logger = await createLogger({
      format: config.LOG_FORMAT,
      level: config.LOG_LEVEL ?? logLevel(config.NODE_ENV),
      destination: io.destination,
    });
  } catch (error) {
    // No logger to say it with (pino-pretty missing): plain text, as for a config error.
    process.stderr.write(`${name} failed to start: ${messageOf(error)}\n`);
    exit(1);
    return;
  }
  const lifecycle = logger.child({}, { level: 'info' });
  try {
    const app = await service.createApp(logger);
    const { url, metricsUrl } = await listen(app, config.HOST, config.PORT, {
      shutdownDelayMs: config.SHUTDOWN_DELAY_MS,
      metricsPort: config.METRICS_PORT,
    });
    lifecycle.info(
      { listening: { url, origin, metricsUrl } },
      `${name} listening on ${url}, public origin ${origin}, metrics on ${metricsUrl}/metrics`,
    );
  } catch (error) {
    lifecycle.fatal({ err: error }, `${name} failed to start: ${messageOf(error)}`);
    exit(1);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
