import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
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
 * `/health/live` and `/health/ready`. An app lists its controller and
 * provides READINESS_CHECKS with what it depends on.
 */
@Controller('health')
export class HealthController {
  constructor(@Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[]) {}

  /** The process is up. */
  @Public()
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Every dependency answers; 503 with the failing ones otherwise. */
  @Public()
  @Get('ready')
  async ready(
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<{ status: 'ok' | 'unavailable'; checks: Record<string, 'up' | 'down'> }> {
    const results = await Promise.all(
      this.checks.map(async (check) => [check.name, await run(check)] as const),
    );
    const ok = results.every(([, result]) => result === 'up');
    reply.status(ok ? 200 : 503).header('cache-control', 'no-store');
    return { status: ok ? 'ok' : 'unavailable', checks: Object.fromEntries(results) };
  }
}
