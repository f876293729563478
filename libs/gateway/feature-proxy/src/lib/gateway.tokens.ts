export const GATEWAY_CONFIG = Symbol.for('svt.GatewayConfig');
export const AUTH_UPSTREAM = Symbol.for('svt.AuthUpstream');
export const CART_UPSTREAM = Symbol.for('svt.CartUpstream');
export const IDENTITY_KEY = Symbol.for('svt.IdentityKey');
export const IDENTITY_SIGNER = Symbol.for('svt.IdentitySigner');
export const DEMO_PAGE = Symbol.for('svt.DemoPage');
