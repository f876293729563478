import { Global, Injectable, Module } from '@nestjs/common';

/**
 * Whether the process is draining: told to stop (SIGTERM) but still serving
 * while a load balancer notices, through `/health/ready`, that it should send
 * no more requests here.
 */
@Injectable()
export class DrainState {
  private started = false;

  get draining(): boolean {
    return this.started;
  }

  /** Idempotent: readiness answers 503 from now on. */
  start(): void {
    this.started = true;
  }
}

/** One DrainState per app, global so that every module's HealthController sees it. */
@Global()
@Module({ providers: [DrainState], exports: [DrainState] })
export class DrainModule {}
