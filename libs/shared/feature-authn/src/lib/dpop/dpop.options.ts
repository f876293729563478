/** How a service accepts DPoP (RFC 9449): the same in AUTH, the gateway and CART. */
export interface DpopOptions {
  /**
   * DPOP_REQUIRED: token requests need a proof and `Authorization: Bearer` is
   * refused. Either way a bound token is accepted only with its proof.
   */
  readonly required: boolean;
  /**
   * With DPOP_NONCE_REQUIRED: the secret this service's nonces derive from,
   * one its replicas share. Absent: proofs need no nonce.
   */
  readonly nonceSecret?: string;
  /** The service's public origin: a proof sent to it names `${origin}${path}`. */
  readonly origin: string;
  /**
   * Other public origins the service answers at (the gateway's sibling
   * API_ORIGIN): a request whose `Host` is one of them was sent there, and
   * its proof names that origin.
   */
  readonly alsoAt?: readonly string[];
  /**
   * Where another service mounts this one (AUTH under the gateway's `/api`):
   * a request that a peer among `trustedProxies` forwarded with
   * `X-Forwarded-Prefix: <prefix>` was sent by the client to
   * `${origin}${prefix}${path}`, and its proof names that.
   */
  readonly mountedAt?: {
    readonly origin: string;
    readonly prefix: string;
    /** TRUSTED_PROXIES: IPs, CIDRs or proxy-addr names (`loopback`…). */
    readonly trustedProxies: readonly string[];
  };
}

export const DPOP_OPTIONS = Symbol.for('svt.DpopOptions');

/** The settings a service's configuration gives DPoP. */
export interface DpopSettings {
  readonly DPOP_REQUIRED: boolean;
  readonly DPOP_NONCE_REQUIRED: boolean;
}

/**
 * `DpopOptions` from a service's settings: `origin` its public origin,
 * `sharedSecret` a secret its replicas already share (used only with
 * DPOP_NONCE_REQUIRED, through a key derived for nonces alone).
 */
export function dpopOptions(
  settings: DpopSettings,
  options: Pick<DpopOptions, 'origin' | 'alsoAt' | 'mountedAt'> & {
    readonly sharedSecret: string;
  },
): DpopOptions {
  return {
    required: settings.DPOP_REQUIRED,
    origin: options.origin,
    ...(options.alsoAt ? { alsoAt: options.alsoAt } : {}),
    ...(options.mountedAt ? { mountedAt: options.mountedAt } : {}),
    ...(settings.DPOP_NONCE_REQUIRED ? { nonceSecret: options.sharedSecret } : {}),
  };
}
