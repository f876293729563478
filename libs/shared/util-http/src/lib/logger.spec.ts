import { pino } from 'pino';
import type { Level } from 'pino';
import { cachedIsoTime, createLogger, logLevel } from './logger';
import type { LogFormat } from './logger';

const ISO_8601_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/** A logger whose output the test reads: what each write received, in order. */
async function capture(
  format: LogFormat,
  level?: Level,
): Promise<{ logger: Awaited<ReturnType<typeof createLogger>>; writes: string[] }> {
  const writes: string[] = [];
  const logger = await createLogger({
    format,
    level,
    destination: { write: (text: string) => writes.push(text) },
  });
  return { logger, writes };
}

describe(createLogger.name, () => {
  describe('with LOG_FORMAT=json', () => {
    it("writes one JSON object per line, with pino's level label and an ISO 8601 UTC time", async () => {
      const { logger, writes } = await capture('json');

      logger.warn({ context: 'Authn' }, 'denied');

      expect(writes).toHaveLength(1);
      expect(writes[0].endsWith('}\n')).toBe(true);
      const line = JSON.parse(writes[0]) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'warn', context: 'Authn', msg: 'denied' });
      expect(line['time']).toMatch(ISO_8601_UTC);
    });

    it('gives child loggers (requests, the audit log) the same level and time format', async () => {
      const { logger, writes } = await capture('json');

      logger.child({ logger: 'audit' }).info({ event: 'logout' });

      const line = JSON.parse(writes[0]) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'info', logger: 'audit', event: 'logout' });
      expect(line['time']).toMatch(ISO_8601_UTC);
    });

    it('writes nothing below its level', async () => {
      const { logger, writes } = await capture('json', 'warn');

      logger.info('request completed');
      logger.error('boom');

      expect(writes.map((text) => (JSON.parse(text) as { msg: string }).msg)).toEqual(['boom']);
    });

    it.each([
      ['a password', { body: { password: 'hunter2' } }],
      ['a refresh token', { body: { refresh_token: 'hunter2' } }],
      ['an Authorization header', { req: { headers: { authorization: 'Bearer hunter2' } } }],
      ['a cookie', { req: { headers: { cookie: 'sid=hunter2' } } }],
    ])('censors %s on every line', async (_case, fields) => {
      const { logger, writes } = await capture('json');

      logger.info(fields, 'anything');

      expect(writes[0]).not.toContain('hunter2');
      expect(writes[0]).toContain('[redacted]');
    });
  });

  describe('with LOG_FORMAT=pretty', () => {
    const plain = (text: string): string => text.replace(ANSI, '');

    it('writes one line per record: time, level, [context] message', async () => {
      const { logger, writes } = await capture('pretty');

      logger.info({ context: 'SigningKeysService' }, 'Generated signing key abc');

      expect(writes).toHaveLength(1);
      expect(plain(writes[0])).toMatch(
        /^\[\d{2}:\d{2}:\d{2}\.\d{3}\] INFO: \[SigningKeysService\] Generated signing key abc\n$/,
      );
    });

    it('colours the line for a terminal', async () => {
      const { logger, writes } = await capture('pretty');

      logger.warn('careful');

      expect(writes[0]).toMatch(ANSI);
    });

    it('says a request as method, path, status and time', async () => {
      const { logger, writes } = await capture('pretty');

      logger.info(
        {
          req: { id: 'r1', method: 'GET', path: '/api/cart' },
          res: { statusCode: 200 },
          responseTime: 3,
        },
        'request completed',
      );

      expect(plain(writes[0])).toMatch(/INFO: GET \/api\/cart 200 3 ms\n$/);
    });

    it('says an audit event by its name', async () => {
      const { logger, writes } = await capture('pretty');

      logger.child({ logger: 'audit' }).warn({ event: 'login.failed', ip: '203.0.113.9' });

      expect(plain(writes[0])).toMatch(
        /WARN: \[audit\] login\.failed \{"ip":"203\.0\.113\.9"\}\n$/,
      );
    });

    it('keeps an error on its one line: the message says it, the stack stays in JSON', async () => {
      const { logger, writes } = await capture('pretty');

      logger.fatal(
        { err: new Error('connect ECONNREFUSED') },
        'auth failed to start: connect ECONNREFUSED',
      );

      expect(writes).toHaveLength(1);
      expect(plain(writes[0])).toMatch(/^\S+ FATAL: auth failed to start: connect ECONNREFUSED\n$/);
    });

    it('censors credentials as JSON does', async () => {
      const { logger, writes } = await capture('pretty');

      logger.info({ body: { password: 'hunter2' } }, 'anything');

      expect(writes[0]).not.toContain('hunter2');
    });
  });
});

describe(logLevel.name, () => {
  it.each([
    ['development', 'info'],
    ['production', 'info'],
    ['test', 'warn'],
  ] as const)('in %s, logs from %s up', (nodeEnv, level) => {
    expect(logLevel(nodeEnv)).toBe(level);
  });
});

describe(cachedIsoTime.name, () => {
  it("writes pino's time field, the same as isoTime, for the millisecond it is asked in", () => {
    let now = Date.UTC(2026, 11, 7, 17, 45, 0, 123);
    const time = cachedIsoTime(() => now);

    expect(time()).toBe(',"time":"2026-12-07T17:45:00.123Z"');
    expect(time()).toBe(',"time":"2026-12-07T17:45:00.123Z"');
    now += 1;
    expect(time()).toBe(',"time":"2026-12-07T17:45:00.124Z"');
  });
});

describe('the default destination', () => {
  it('writes JSON lines to stdout synchronously, before the next line of code runs', async () => {
    const logger = await createLogger({ format: 'json' });
    const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym];

    expect(stream).toMatchObject({ sync: true, fd: 1 });
  });
});
