import { Controller, Get, Module } from '@nestjs/common';
import type { Level } from 'pino';
import { createHttpApp } from './create-http-app';
import { createLogger } from './logger';
import { NestLogger } from './nest-logger';

type Line = Record<string, unknown>;

async function capture(level: Level = 'info'): Promise<{
  logger: Awaited<ReturnType<typeof createLogger>>;
  lines: Line[];
}> {
  const lines: Line[] = [];
  const logger = await createLogger({
    format: 'json',
    level,
    destination: { write: (text: string) => lines.push(JSON.parse(text) as Line) },
  });
  return { logger, lines };
}

@Controller('things')
class ThingsController {
  @Get()
  list(): string[] {
    return [];
  }

  @Get('count')
  count(): number {
    return 0;
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

const STORE = Symbol('store');

@Module({
  providers: [
    {
      provide: STORE,
      useFactory: async () => {
        throw new Error('Cannot connect to PostgreSQL at 127.0.0.1:1');
      },
    },
  ],
})
class UnreachableStoreModule {}

describe(NestLogger.name, () => {
  it.each(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication'])(
    "writes Nest's bootstrap lines from %s at debug, below the default info",
    async (context) => {
      const atInfo = await capture('info');
      new NestLogger(atInfo.logger).log('Mapped {/things, GET} route', context);
      expect(atInfo.lines).toEqual([]);

      const atDebug = await capture('debug');
      new NestLogger(atDebug.logger).log('Mapped {/things, GET} route', context);
      expect(atDebug.lines).toEqual([
        expect.objectContaining({ level: 'debug', context, msg: 'Mapped {/things, GET} route' }),
      ]);
    },
  );

  it('writes any other log line at info, with its context', async () => {
    const { logger, lines } = await capture();

    new NestLogger(logger).log('Generated signing key abc', 'SigningKeysService');

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        context: 'SigningKeysService',
        msg: 'Generated signing key abc',
      }),
    ]);
  });

  it("turns Nest's error(message, stack, context) into one line with pino's err", async () => {
    const { logger, lines } = await capture();
    const cause = new Error('boom');

    new NestLogger(logger).error('internal_error: Error: boom', cause.stack, 'Problem');

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      context: 'Problem',
      msg: 'internal_error: Error: boom',
      err: { message: 'internal_error: Error: boom', stack: cause.stack },
    });
  });

  it("leaves Nest's report of a failed bootstrap (ExceptionHandler) to the caller, at debug", async () => {
    const { logger, lines } = await capture();

    new NestLogger(logger).error(new Error('boom'), 'ExceptionHandler');

    expect(lines).toEqual([]);
  });

  describe('as the logger of createHttpApp', () => {
    it('keeps the start of an app out of the info lines', async () => {
      const { logger, lines } = await capture();

      const app = await createHttpApp(ThingsModule, { bodyLimit: 1024, bodies: 'json', logger });
      await app.init();
      await app.close();

      expect(lines.map((line) => line['msg'])).toEqual([]);
    });

    it('lets a failed bootstrap reject, for the caller to report once, instead of printing it and exiting', async () => {
      const { logger, lines } = await capture();
      const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
      try {
        await expect(
          createHttpApp(UnreachableStoreModule, { bodyLimit: 1024, bodies: 'json', logger }),
        ).rejects.toThrow('Cannot connect to PostgreSQL at 127.0.0.1:1');
        expect(exit).not.toHaveBeenCalled();
      } finally {
        exit.mockRestore();
      }
      expect(lines).toEqual([]);
    });
  });
});
