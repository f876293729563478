export { randomSecret, safeEqual, sha256Hex } from './lib/secrets';
export { CLOCK, systemClock } from './lib/clock';
export type { Clock } from './lib/clock';
