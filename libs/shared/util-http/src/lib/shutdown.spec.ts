import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Controller, Get } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { TerminusModule } from '@nestjs/terminus';
import type { ClosableApp } from './create-http-app';
import { createHttpApp, shutdownSequence } from './create-http-app';
import { DrainState } from './draining';
import { HealthController, READINESS_CHECKS } from './health';
import { createLogger } from './logger';
import type { ReadinessCheck } from './health';

@Controller('ping')
class PingController {
  @Get()
  ping(): { pong: true } {
    return { pong: true };
  }
}

const GRACE_MS = 10_000;

/** An app whose server close resolves when the test says so, recording the close order. */
function fakeApp(): {
  app: ClosableApp;
  steps: string[];
  finishServerClose: () => void;
} {
  const steps: string[] = [];
  let finishServerClose = (): void => undefined;
  const serverClosed = new Promise<void>((resolve) => {
    finishServerClose = resolve;
  });
  const app: ClosableApp = {
    getHttpServer: () => ({ closeIdleConnections: () => undefined }),
    getHttpAdapter: () => ({
      close: () => {
        steps.push('server');
        return serverClosed;
      },
    }),
    close: async () => {
      steps.push('nest');
    },
  };
  return { app, steps, finishServerClose };
}

describe(shutdownSequence.name, () => {
  describe('while draining after SIGTERM', () => {
    let app: NestFastifyApplication;
    const exit = jest.fn<void, [number]>();
    const checks: ReadinessCheck[] = [{ name: 'store', check: () => true }];

    beforeEach(async () => {
      exit.mockClear();
      app = await createHttpApp(
        {
          module: class TestModule {},
          imports: [TerminusModule],
          controllers: [HealthController, PingController],
          providers: [{ provide: READINESS_CHECKS, useValue: checks }],
        },
        {
          bodyLimit: 1024,
          bodies: 'json',
          logger: await createLogger({ format: 'json', level: 'fatal' }),
        },
      );
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });

    afterEach(async () => {
      await app.close();
    });

    const get = (url: string): Promise<{ statusCode: number; json: () => unknown }> =>
      app.inject({ method: 'GET', url });

    it('answers /health/ready with 503 at once and keeps serving everything else', async () => {
      expect((await get('/health/ready')).statusCode).toBe(200);

      const shutdown = shutdownSequence(app, {
        drain: app.get(DrainState),
        delayMs: 60_000,
        exit,
      });
      shutdown('SIGTERM');

      const ready = await get('/health/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'error',
        error: { shutdown: { status: 'down' } },
      });
      expect((await get('/ping')).statusCode).toBe(200);
      expect((await get('/health/live')).statusCode).toBe(200);
      expect(exit).not.toHaveBeenCalled();

      // Ctrl-C during the drain does not wait for the rest of it.
      shutdown('SIGINT');
      await new Promise<void>((resolve) => exit.mockImplementation(() => resolve()));
      expect(exit).toHaveBeenCalledWith(0);
    });
  });

  describe('a request begun as the server closes', () => {
    it('is served, not answered 503: a balancer would pass a 503 on to the client', async () => {
      const app = await createHttpApp(
        { module: class TestModule {}, controllers: [PingController] },
        {
          bodyLimit: 1024,
          bodies: 'json',
          logger: await createLogger({ format: 'json', level: 'fatal' }),
        },
      );
      await app.listen(0, '127.0.0.1');
      const { port } = app.getHttpServer().address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      let answer = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      await once(socket, 'connect');
      // Half a request: the server has begun reading it (no longer idle) when it starts to close.
      socket.write('GET /ping HTTP/1.1\r\nHost: localhost\r\n');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const closed = app.getHttpAdapter().close();
      socket.end('\r\n');
      await once(socket, 'close');
      await closed;
      await app.close();
      expect(answer.split('\r\n', 1)[0]).toBe('HTTP/1.1 200 OK');
    });
  });

  describe('timing, with a fake clock', () => {
    beforeEach(() => {
      jest.useFakeTimers();
    });

    afterEach(() => {
      jest.useRealTimers();
    });

    it('on SIGTERM closes the server only after the delay, then Nest, then exits 0', async () => {
      const { app, steps, finishServerClose } = fakeApp();
      const drain = new DrainState();
      const exit = jest.fn<void, [number]>();
      shutdownSequence(app, { drain, delayMs: 1_000, exit })('SIGTERM');

      expect(drain.draining).toBe(true);
      await jest.advanceTimersByTimeAsync(999);
      expect(steps).toEqual([]);

      await jest.advanceTimersByTimeAsync(1);
      expect(steps).toEqual(['server']);
      finishServerClose();
      await jest.advanceTimersByTimeAsync(0);
      expect(steps).toEqual(['server', 'nest']);
      expect(exit).toHaveBeenCalledWith(0);
    });

    it('starts the 10 s watchdog after the delay, not at the signal', async () => {
      const { app } = fakeApp();
      const exit = jest.fn<void, [number]>();
      shutdownSequence(app, { drain: new DrainState(), delayMs: 5_000, exit })('SIGTERM');

      await jest.advanceTimersByTimeAsync(5_000 + GRACE_MS - 1);
      expect(exit).not.toHaveBeenCalled();
      await jest.advanceTimersByTimeAsync(1);
      expect(exit).toHaveBeenCalledWith(1);
    });

    it("closes the metrics server with the app's server, and Nest after both", async () => {
      const { app, steps, finishServerClose } = fakeApp();
      let finishMetricsClose = (): void => undefined;
      const metrics = {
        close: () =>
          new Promise<void>((resolve) => {
            steps.push('metrics');
            finishMetricsClose = resolve;
          }),
      };
      const exit = jest.fn<void, [number]>();
      shutdownSequence(app, { drain: new DrainState(), delayMs: 0, exit, metrics })('SIGTERM');
      expect(steps).toEqual(['server', 'metrics']);

      finishServerClose();
      await jest.advanceTimersByTimeAsync(0);
      expect(steps).toEqual(['server', 'metrics']);
      finishMetricsClose();
      await jest.advanceTimersByTimeAsync(0);
      expect(steps).toEqual(['server', 'metrics', 'nest']);
      expect(exit).toHaveBeenCalledWith(0);
    });

    it.each([
      ['SIGINT', 1_000],
      ['SIGTERM', 0],
    ] as const)('on %s with a delay of %i ms closes at once', (signal, delayMs) => {
      const { app, steps } = fakeApp();
      const drain = new DrainState();
      shutdownSequence(app, { drain, delayMs, exit: jest.fn() })(signal);
      expect(steps).toEqual(['server']);
      expect(drain.draining).toBe(true);
    });
  });
});
