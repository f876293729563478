import type { OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AccountTokenRepository } from '@svt/auth/data-access';
import { ACCOUNT_TOKEN_REPOSITORY } from '@svt/auth/data-access';
import type { Clock } from '@svt/shared/util-security';
import { CLOCK } from '@svt/shared/util-security';

const HOUR_MS = 3_600_000;

/**
 * Deletes mailed-link tokens an hour after they expired, every hour, so the
 * table does not grow without end; used ones go the same way.
 */
@Injectable()
export class AccountTokensSweeper implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(AccountTokensSweeper.name);
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(ACCOUNT_TOKEN_REPOSITORY) private readonly tokens: AccountTokenRepository,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.tokens
        .deleteExpiredBefore(this.clock.now() - HOUR_MS)
        .catch((error: unknown) =>
          this.logger.warn(`Deleting expired account tokens failed: ${(error as Error).message}`),
        );
    }, HOUR_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
