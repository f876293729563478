import { resolveBackend } from './test-environment';

describe(resolveBackend.name, () => {
  it.each([
    [{}, 'embedded'],
    [{ databaseUrl: 'postgres://h/db', redisUrl: 'redis://h:6379' }, 'postgres+redis'],
  ])('picks the backend for %j → %s', (env, backend) => {
    expect(resolveBackend(env)).toBe(backend);
  });

  it.each([
    [{ databaseUrl: 'postgres://h/db' }, /REDIS_URL is missing/],
    [{ redisUrl: 'redis://h:6379' }, /DATABASE_URL is missing/],
  ])('refuses half a stack: %j', (env, message) => {
    expect(() => resolveBackend(env)).toThrow(message);
  });
});
