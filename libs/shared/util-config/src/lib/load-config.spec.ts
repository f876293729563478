import { z } from 'zod';
import { env, isOrigin, isSecureContextOrigin } from './env-fields';
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
