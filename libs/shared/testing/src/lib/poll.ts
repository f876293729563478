import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `probe` until `done` holds or `timeoutMs` passed, and returns the last
 * value: the caller asserts on it, so a timeout fails with what was seen.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs, intervalMs = 250 }: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < deadline) {
    await sleep(intervalMs);
    value = await probe();
  }
  return value;
}
