import { AppError } from './error-catalog';

/**
 * 429 `rate_limited` until `resetAt` (epoch ms), with `Retry-After` as RFC
 * 9110 §10.2.3 delay-seconds: at least 1, so a client never spins.
 */
export function rateLimited(resetAt: number, now: number, detail: string): AppError {
  const seconds = Math.max(1, Math.ceil((resetAt - now) / 1000));
  return new AppError('rate_limited', detail, { headers: { 'retry-after': String(seconds) } });
}
