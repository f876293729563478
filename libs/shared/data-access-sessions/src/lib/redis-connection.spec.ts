import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisDenylist } from './redis-denylist';
import { connectRedis, watchOutages } from './redis-connection';
import { RedisRateLimitStore } from './redis-rate-limit-store';
import { RedisSessionStore } from './redis-session-store';

describe('connectRedis', () => {
  it('rejects with the server named, and no password, when Redis is unreachable', async () => {
    const connecting = connectRedis('redis://app:s3cret@127.0.0.1:1', { connectTimeoutMs: 300 });

    await expect(connecting).rejects.toThrow(
      /^Cannot connect to Redis at 127\.0\.0\.1:1: connect ECONNREFUSED/,
    );
    await expect(connecting).rejects.toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('s3cret') }),
    );
  });

  it('rejects an unparsable URL without echoing it', async () => {
    await expect(connectRedis('redis://app:s3cret@[bad')).rejects.toThrow(
      'The Redis URL is not a valid URL',
    );
  });
});

describe('watchOutages', () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;
  let client: RedisClientType;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    // Never connected: only its events are exercised.
    client = createClient();
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('logs an outage once, its end once, and the next outage again', () => {
    watchOutages(client);

    client.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    client.emit('error', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    client.emit('ready');
    client.emit('ready');
    client.emit('error', new Error('Socket closed unexpectedly'));

    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      'Redis connection failed: connect ECONNREFUSED 127.0.0.1:6379',
      'Redis connection failed: Socket closed unexpectedly',
    ]);
    expect(log.mock.calls.map(([message]) => message)).toEqual(['Redis connection restored']);
  });

  it('logs once per outage however many stores share the client', () => {
    new RedisSessionStore(client, 'svt:');
    new RedisDenylist(client, 'svt:');
    new RedisRateLimitStore(client, 'svt:');

    client.emit('error', new Error('Socket closed unexpectedly'));

    expect(warn).toHaveBeenCalledTimes(1);
  });
});
