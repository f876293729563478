import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisClientType } from 'redis';
import { RedisDenylist } from './redis-denylist';
import { connectRedis, watchOutages } from './redis-connection';
import { RedisRateLimitStore } from './redis-rate-limit-store';
import { RedisSessionStore } from './redis-session-store';
import { redisUrlForTests } from './testing/contract-harness';

const redisUrl = redisUrlForTests('connectRedis command timeout');

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

  if (redisUrl) {
    it('fails a command whose reply does not come within commandTimeoutMs, then reconnects', async () => {
      const client = await connectRedis(redisUrl, { commandTimeoutMs: 200 });
      try {
        // BLPOP on a key nobody pushes to holds its reply for 2 s: a stand-in for a stalled server.
        await expect(client.blPop(`svt-test:never-pushed:${Date.now()}`, 2)).rejects.toThrow(
          /Socket timeout/,
        );
        await new Promise<void>((resolve) => client.once('ready', () => resolve()));
        await expect(client.ping()).resolves.toBe('PONG');
      } finally {
        client.destroy();
      }
    });

    it('keeps an idle healthy connection open past commandTimeoutMs', async () => {
      const client = await connectRedis(redisUrl, { commandTimeoutMs: 200 });
      const reconnects = jest.fn();
      client.on('reconnecting', reconnects);
      try {
        await new Promise((resolve) => setTimeout(resolve, 700));
        expect(reconnects).not.toHaveBeenCalled();
        await expect(client.ping()).resolves.toBe('PONG');
      } finally {
        client.destroy();
      }
    });
  }

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
