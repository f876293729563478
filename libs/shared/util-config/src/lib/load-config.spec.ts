import { z } from 'zod';
import { checkLogFormat, env, isOrigin, isSecureContextOrigin } from './env-fields';
import { ConfigError, loadConfig } from './load-config';

const schema = z.object({
  PORT: env.port(8080),
  SHOP_ORIGIN: env.origin('http://shop.localhost:8080'),
  ACCESS_TOKEN_TTL: env.seconds(600, 900),
});

describe(loadConfig.name, () => {
  it('applies the defaults when the environment is empty', () => {
    expect(loadConfig('test', schema, {})).toEqual({
      PORT: 8080,
      SHOP_ORIGIN: 'http://shop.localhost:8080',
      ACCESS_TOKEN_TTL: 600,
    });
  });

  it('treats a blank variable as unset', () => {
    expect(loadConfig('test', schema, { PORT: '' }).PORT).toBe(8080);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig('test', schema, {
        PORT: 'eighty',
        SHOP_ORIGIN: 'http://shop/path',
        ACCESS_TOKEN_TTL: '3600',
      });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(
      /PORT[\s\S]*SHOP_ORIGIN[\s\S]*ACCESS_TOKEN_TTL: must be at most 900 seconds/,
    );
  });

  it('returns a frozen config', () => {
    const config = loadConfig('test', schema, {});
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe(isOrigin.name, () => {
  it.each([
    ['https://shop.example', true],
    ['http://shop.localhost:8080', true],
    ['http://shop.localhost:8080/', false],
    ['https://shop.example/path', false],
    ['ftp://shop.example', false],
    ['https://user:pw@shop.example', false],
    ['shop.example', false],
  ])('%s → %s', (value, expected) => {
    expect(isOrigin(value)).toBe(expected);
  });
});

describe(isSecureContextOrigin.name, () => {
  it.each([
    ['https://shop.example', true],
    ['http://localhost:8080', true],
    ['http://shop.localhost:8080', true],
    ['http://shop.example', false],
  ])('%s → %s', (origin, expected) => {
    expect(isSecureContextOrigin(origin)).toBe(expected);
  });
});

describe('env.rateLimit', () => {
  const limits = z.object({ LIMIT: env.rateLimit('30/60') });

  it('reads <count>/<seconds> as a count and a window in milliseconds', () => {
    expect(loadConfig('test', limits, { LIMIT: '5/900' }).LIMIT).toEqual({
      count: 5,
      windowMs: 900_000,
    });
    expect(loadConfig('test', limits, {}).LIMIT).toEqual({ count: 30, windowMs: 60_000 });
  });

  it.each(['30', '0/60', '30/0', '-1/60', '30/60s', 'x/y'])('refuses %p', (value) => {
    expect(() => loadConfig('test', limits, { LIMIT: value })).toThrow(ConfigError);
  });
});

describe('env.trustedProxies', () => {
  const proxies = z.object({ TRUSTED_PROXIES: env.trustedProxies('loopback') });

  it('trusts loopback peers by default, and nobody when set to none', () => {
    expect(loadConfig('test', proxies, {}).TRUSTED_PROXIES).toEqual(['loopback']);
    expect(loadConfig('test', proxies, { TRUSTED_PROXIES: 'none' }).TRUSTED_PROXIES).toEqual([]);
  });

  it('accepts IPs, CIDRs and proxy-addr names', () => {
    expect(
      loadConfig('test', proxies, { TRUSTED_PROXIES: '10.0.0.1, 172.16.0.0/12,::1,uniquelocal' })
        .TRUSTED_PROXIES,
    ).toEqual(['10.0.0.1', '172.16.0.0/12', '::1', 'uniquelocal']);
  });

  it.each(['gateway', '10.0.0.0/33', '10.0.0.1/8/1', 'fe80::/129'])('refuses %p', (value) => {
    expect(() => loadConfig('test', proxies, { TRUSTED_PROXIES: value })).toThrow(ConfigError);
  });
});

describe('env.logFormat', () => {
  const logs = z
    .object({ NODE_ENV: env.nodeEnv, LOG_FORMAT: env.logFormat })
    .superRefine(checkLogFormat);

  it('is json unless told otherwise, in every environment', () => {
    expect(loadConfig('test', logs, {}).LOG_FORMAT).toBe('json');
    expect(loadConfig('test', logs, { NODE_ENV: 'production' }).LOG_FORMAT).toBe('json');
  });

  it('is pretty when asked for outside production', () => {
    expect(loadConfig('test', logs, { LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(loadConfig('test', logs, { NODE_ENV: 'test', LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe(
      'pretty',
    );
  });

  it('refuses pretty in production, where a log pipeline reads the lines', () => {
    expect(() =>
      loadConfig('test', logs, { NODE_ENV: 'production', LOG_FORMAT: 'pretty' }),
    ).toThrow(/LOG_FORMAT: must be json in production/);
  });

  it.each(['text', 'JSON', 'ecs'])('refuses %p', (value) => {
    expect(() => loadConfig('test', logs, { LOG_FORMAT: value })).toThrow(
      /LOG_FORMAT: must be json or pretty/,
    );
  });
});
