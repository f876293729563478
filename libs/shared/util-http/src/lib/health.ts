import {
  Controller,
  Get,
  Inject,
  Logger,
  Optional,
  Res,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
} from '@nestjs/terminus';
import type { HealthCheckResult, HealthIndicatorResult } from '@nestjs/terminus';
import { DrainState } from './draining';
import { Public } from './public.decorator';

/** One dependency a service needs to serve requests. */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when the dependency is usable; rejects or returns false otherwise. */
  check(): Promise<boolean> | boolean;
}

export const READINESS_CHECKS = Symbol.for('svt.ReadinessChecks');

const CHECK_TIMEOUT_MS = 2_000;

async function run(check: ReadinessCheck): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), CHECK_TIMEOUT_MS);
  });
  try {
    return (await Promise.race([Promise.resolve(check.check()), timeout])) ? 'up' : 'down';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Terminus, for `HealthController`, without its error line for every 503:
 * a balancer asks four times a second, and a service still starting is not
 * ready without anything being wrong. `HealthController` says when readiness
 * is lost and when it is back instead.
 */
export const HealthChecksModule: DynamicModule = TerminusModule.forRoot({ logger: false });

/**
 * `/health/live` and `/health/ready`, in @nestjs/terminus's format (the
 * split of Ory's `/health/alive` and `/health/ready`). An app imports
 * `HealthChecksModule`, lists this controller and provides READINESS_CHECKS
 * with what it depends on. Liveness checks nothing but the process.
 * Readiness is logged when it changes once the service has been ready: a
 * warning naming what is down, and a line when everything is up again.
 */
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');
  /** Whether the last check passed; `undefined` until one has (starting up is not news). */
  private wasReady: boolean | undefined;

  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[],
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Optional() private readonly drain?: DrainState,
  ) {}

  /** The process is up. */
  @Public()
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Every dependency answers; 503 naming the failing ones otherwise, and 503
   * at once while the process drains before shutting down.
   */
  @Public()
  @Get('ready')
  @HealthCheck()
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<HealthCheckResult | string | object> {
    reply.header('cache-control', 'no-store');
    if (this.drain?.draining) {
      // Not a dependency: skip the checks, a balancer only needs the 503.
      reply.status(503);
      const down = { shutdown: { status: 'down', message: 'draining before shutdown' } };
      return { status: 'error', info: {}, error: down, details: down };
    }
    try {
      const result = await this.health.check(
        this.checks.map((check) => () => this.indicate(check)),
      );
      if (this.wasReady === false) this.logger.log('ready again: every dependency is up');
      this.wasReady = true;
      return result;
    } catch (error) {
      // Terminus throws its report as a 503; answer with it rather than as a problem.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const report = error.getResponse() as HealthCheckResult;
      if (this.wasReady === true) {
        const down = Object.keys(report.error ?? {}).join(', ');
        this.logger.warn(`not ready: ${down} down`);
      }
      if (this.wasReady !== undefined) this.wasReady = false;
      reply.status(503);
      return report;
    }
  }

  private async indicate(check: ReadinessCheck): Promise<HealthIndicatorResult> {
    const session = this.indicators.check(check.name);
    return (await run(check)) === 'up' ? session.up() : session.down();
  }
}
