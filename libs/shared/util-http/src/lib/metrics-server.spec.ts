import { Agent, request } from 'node:http';
import { Counter, register } from 'prom-client';
import { startMetricsServer } from './metrics-server';
import type { MetricsServer } from './metrics-server';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(url: string, method: string, path: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, agent: agent ?? false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    req.on('error', reject).end();
  });
}

describe(startMetricsServer.name, () => {
  const counter = new Counter({
    name: 'metrics_server_spec_total',
    help: 'A counter this spec expects to see scraped.',
  });
  let server: MetricsServer;

  beforeAll(async () => {
    counter.inc(3);
    server = await startMetricsServer('127.0.0.1', 0);
  });

  afterAll(async () => {
    await server.close();
    register.removeSingleMetric('metrics_server_spec_total');
  });

  it('listens on the host it is given, on a free port for 0', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
  });

  it("answers GET /metrics with the process's registry in Prometheus's text format", async () => {
    const answer = await send(server.url, 'GET', '/metrics');

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(register.contentType);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toMatch(/^metrics_server_spec_total 3$/m);
  });

  it('ignores a query string, as scrapers may send one', async () => {
    expect((await send(server.url, 'GET', '/metrics?name[]=up')).status).toBe(200);
  });

  it.each([
    ['GET', '/'],
    ['GET', '/metrics/'],
    ['GET', '/health/ready'],
    ['GET', '/docs/openapi.json'],
    ['POST', '/metrics'],
    ['DELETE', '/metrics'],
  ])('answers %s %s with a 404 problem', async (method, path) => {
    const answer = await send(server.url, method, path);

    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('rejects when its port is taken', async () => {
    const port = Number(new URL(server.url).port);
    await expect(startMetricsServer('127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
  });

  it("frees its port on close, even with a scraper's connection kept alive", async () => {
    const other = await startMetricsServer('127.0.0.1', 0);
    const keepAlive = new Agent({ keepAlive: true });
    await send(other.url, 'GET', '/metrics', keepAlive);
    await other.close();

    const again = await startMetricsServer('127.0.0.1', Number(new URL(other.url).port));
    expect(again.url).toBe(other.url);
    await again.close();
    keepAlive.destroy();
  });
});
