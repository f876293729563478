export const CART_CONFIG = Symbol.for('svt.CartConfig');
