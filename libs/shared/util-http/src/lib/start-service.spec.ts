import { Module } from '@nestjs/common';
import { createHttpApp } from './create-http-app';
import { startService } from './start-service';
import type { ServiceConfig } from './start-service';

type Line = Record<string, unknown>;

@Module({})
class EmptyModule {}

function config(overrides: Partial<ServiceConfig> = {}): ServiceConfig {
  return {
    NODE_ENV: 'test',
    LOG_FORMAT: 'json',
    HOST: '127.0.0.1',
    PORT: 0,
    METRICS_PORT: 0,
    SHUTDOWN_DELAY_MS: 0,
    ...overrides,
  };
}

function sink(): { lines: Line[]; write: (text: string) => void } {
  const lines: Line[] = [];
  return { lines, write: (text) => lines.push(JSON.parse(text) as Line) };
}

describe(startService.name, () => {
  describe('when the app starts', () => {
    let before: { SIGTERM: unknown[]; SIGINT: unknown[] };

    beforeEach(() => {
      before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
    });

    // Stops the app as Ctrl-C would, through the handler listen() installed
    // (with process.exit stubbed), then takes the handlers away again.
    afterEach(async () => {
      let exited!: () => void;
      const done = new Promise<void>((resolve) => (exited = resolve));
      const exit = jest.spyOn(process, 'exit').mockImplementation((() => exited()) as never);
      try {
        const added = (signal: 'SIGTERM' | 'SIGINT'): (() => void)[] =>
          process
            .listeners(signal)
            .filter((listener) => !before[signal].includes(listener)) as (() => void)[];
        added('SIGINT').forEach((listener) => listener());
        await done;
        for (const signal of ['SIGTERM', 'SIGINT'] as const) {
          added(signal).forEach((listener) => process.removeListener(signal, listener));
        }
      } finally {
        exit.mockRestore();
      }
    });

    async function start(overrides: Partial<ServiceConfig>): Promise<Line[]> {
      const { lines, write } = sink();
      const exit = jest.fn();
      await startService(
        {
          name: 'things',
          config: config(overrides),
          origin: 'http://things.localhost:8083',
          createApp: (logger) =>
            createHttpApp(EmptyModule, { bodyLimit: 1024, bodies: 'json', logger }),
        },
        { destination: { write }, exit },
      );
      expect(exit).not.toHaveBeenCalled();
      return lines;
    }

    it('says where it listens in one info line, even where only warnings are logged (tests)', async () => {
      const lines = await start({ NODE_ENV: 'test' });

      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'info',
        listening: {
          url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          origin: 'http://things.localhost:8083',
          metricsUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
        },
      });
      const { url, metricsUrl } = lines[0]['listening'] as Record<string, string>;
      expect(lines[0]['msg']).toBe(
        `things listening on ${url}, public origin http://things.localhost:8083, metrics on ${metricsUrl}/metrics`,
      );
    });

    it('names the address it is bound to: 0.0.0.0 in a container, not 127.0.0.1', async () => {
      const [line] = await start({ HOST: '0.0.0.0', NODE_ENV: 'production' });

      expect(line['msg']).toMatch(/^things listening on http:\/\/0\.0\.0\.0:\d+, /);
      expect(line['listening']).toMatchObject({
        url: expect.stringMatching(/^http:\/\/0\.0\.0\.0:\d+$/),
        metricsUrl: expect.stringMatching(/^http:\/\/0\.0\.0\.0:\d+$/),
      });
    });
  });

  describe('when the app cannot start', () => {
    it('writes one fatal line with the reason and pino’s err, and exits 1', async () => {
      const { lines, write } = sink();
      const exit = jest.fn();
      const cause = new Error('Cannot connect to PostgreSQL at 127.0.0.1:1');

      await startService(
        {
          name: 'auth',
          config: config({ NODE_ENV: 'test' }),
          origin: 'http://auth.localhost:8081',
          createApp: () => Promise.reject(cause),
        },
        { destination: { write }, exit },
      );

      expect(exit).toHaveBeenCalledWith(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        level: 'fatal',
        msg: 'auth failed to start: Cannot connect to PostgreSQL at 127.0.0.1:1',
        err: { type: 'Error', message: cause.message, stack: expect.any(String) },
      });
    });
  });
});
