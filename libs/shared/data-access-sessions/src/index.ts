export { SESSION_STORE } from './lib/session-store';
export type { SessionRecord, SessionStore } from './lib/session-store';
export { MemorySessionStore } from './lib/memory-session-store';
export type { MemorySessionStoreOptions } from './lib/memory-session-store';
export { SqliteSessionStore } from './lib/sqlite-session-store';
export type { SqliteSessionStoreOptions } from './lib/sqlite-session-store';
export { RedisSessionStore } from './lib/redis-session-store';
export type {
  RedisSessionStoreConnectOptions,
  RedisSessionStoreOptions,
} from './lib/redis-session-store';
export { openSessionStore, provideSessionStore } from './lib/open-session-store';
export type { OpenSessionStoreOptions } from './lib/open-session-store';
