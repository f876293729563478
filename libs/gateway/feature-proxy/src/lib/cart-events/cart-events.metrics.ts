import { Counter, Gauge, Histogram } from 'prom-client';

/** Live cart sockets open on this replica, authenticated or waiting for their `auth` message. */
export const liveCartSockets = new Gauge({
  name: 'live_cart_sockets',
  help: 'Live cart WebSockets open on this gateway replica.',
});

/** Every socket that ended, by why: a close reason of `CART_EVENTS_CLOSE_CODES`, `client` or `cut`. */
export const liveCartCloses = new Counter({
  name: 'live_cart_closes_total',
  help: 'Live cart WebSockets ended, by reason (the close code’s name; client: closed by the client; cut: a missed pong).',
  labelNames: ['reason'] as const,
});

/** One batch of credential checks: what keeping every socket within 1 s of its credential costs. */
export const liveCartCheckDuration = new Histogram({
  name: 'live_cart_credential_check_seconds',
  help: 'Time of one batch of live cart credential checks (all sockets of the replica).',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
});
