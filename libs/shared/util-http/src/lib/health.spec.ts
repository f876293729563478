import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp } from './create-http-app';
import { HealthChecksModule, HealthController, READINESS_CHECKS } from './health';
import type { ReadinessCheck } from './health';
import { createLogger } from './logger';

type Line = Record<string, unknown>;

describe(HealthController.name, () => {
  let app: NestFastifyApplication;
  let lines: Line[];
  const store = { up: false };

  beforeEach(async () => {
    store.up = false;
    lines = [];
    const logger = await createLogger({
      format: 'json',
      destination: { write: (text: string) => lines.push(JSON.parse(text) as Line) },
    });
    const checks: ReadinessCheck[] = [{ name: 'store', check: () => store.up }];
    app = await createHttpApp(
      {
        module: class TestModule {},
        imports: [HealthChecksModule],
        controllers: [HealthController],
        providers: [{ provide: READINESS_CHECKS, useValue: checks }],
      },
      { bodyLimit: 1024, bodies: 'json', logger },
    );
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterEach(async () => {
    await app.close();
  });

  async function ready(): Promise<number> {
    return (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode;
  }

  const said = (): unknown[] => lines.map((line) => [line['level'], line['msg']]);

  it('says nothing while the service is starting and not ready yet, nor once it is', async () => {
    expect([await ready(), await ready()]).toEqual([503, 503]);
    store.up = true;
    expect(await ready()).toBe(200);

    expect(said()).toEqual([]);
  });

  it('warns once when readiness is lost, naming what is down, and says when it is back', async () => {
    store.up = true;
    expect(await ready()).toBe(200);
    store.up = false;
    expect([await ready(), await ready(), await ready()]).toEqual([503, 503, 503]);
    store.up = true;
    expect([await ready(), await ready()]).toEqual([200, 200]);

    expect(said()).toEqual([
      ['warn', 'not ready: store down'],
      ['info', 'ready again: every dependency is up'],
    ]);
  });

  it('writes no request line for health checks, which a balancer makes four times a second', async () => {
    store.up = true;
    await ready();
    await app.inject({ method: 'GET', url: '/health/live' });
    await app.inject({ method: 'GET', url: '/elsewhere' });

    expect(lines.map((line) => (line['req'] as { path?: string } | undefined)?.path)).toEqual([
      '/elsewhere',
    ]);
  });
});
