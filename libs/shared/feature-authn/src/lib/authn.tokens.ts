export const AUTHENTICATORS = Symbol.for('svt.Authenticators');
