export const AUTH_CONFIG = Symbol.for('svt.AuthConfig');
export const AUTH_SQL = Symbol.for('svt.AuthSql');
export const SESSION_COOKIE = Symbol.for('svt.SessionCookie');
