export { randomSecret, safeEqual, sha256Hex } from './lib/secrets';
export { CLOCK, systemClock } from './lib/clock';
export type { Clock } from './lib/clock';
export { loadOrCreateSigningKey } from './lib/signing-key';
export type { PublicSigningJwk, SigningKey } from './lib/signing-key';
