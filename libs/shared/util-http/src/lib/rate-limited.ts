import { AppError } from '@svt/shared/util-errors';

/**
 * `rate_limited` until `resetAt` (epoch ms), to retry after whole seconds (429
 * with `Retry-After`): at least 1, so a client never spins.
 */
export function rateLimited(resetAt: number, now: number, detail: string): AppError {
  const retryAfterSeconds = Math.max(1, Math.ceil((resetAt - now) / 1000));
  return new AppError('rate_limited', detail, { retryAfterSeconds });
}
