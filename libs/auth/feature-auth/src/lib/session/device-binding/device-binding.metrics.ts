import { Counter } from 'prom-client';

/** Registrations of a device key (DBSC), by result: `registered` or `refused`. */
export const dbscRegistrations = new Counter({
  name: 'dbsc_registrations_total',
  help: 'Device Bound Session Credentials registrations, by result.',
  labelNames: ['result'] as const,
});

/**
 * Refreshes of a device-bound session's cookie, by result: `refreshed`,
 * `challenged` (a proof over a fresh challenge is asked for), `refused` (a
 * proof not made by the session's key: the session is ended) or
 * `unknown_session` (ended, revoked, never bound).
 */
export const dbscRefreshes = new Counter({
  name: 'dbsc_refreshes_total',
  help: "Device Bound Session Credentials refreshes of a session's bound cookie, by result.",
  labelNames: ['result'] as const,
});
