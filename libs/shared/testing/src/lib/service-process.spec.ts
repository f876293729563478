import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePorts } from './free-port';
import { ServiceProcess } from './service-process';

/** Fake services: tiny scripts that behave well or badly at startup. */
const SCRIPTS = {
  healthy: `
    let ready = false;
    setTimeout(() => { ready = true; }, 300);
    require('node:http').createServer((req, res) => {
      res.writeHead(req.url === '/health/ready' && ready ? 200 : 503);
      res.end(req.headers.host);
    }).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on', process.env.PORT));
    process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });
  `,
  crashing: `console.error('Invalid configuration for fake:\\n  - PORT: required'); process.exit(78);`,
  neverReady: `
    require('node:http').createServer((req, res) => { res.writeHead(503); res.end('store_unavailable'); })
      .listen(Number(process.env.PORT), '127.0.0.1');
  `,
  stubborn: `
    process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
    require('node:http').createServer((req, res) => { res.writeHead(200); res.end(); })
      .listen(Number(process.env.PORT), '127.0.0.1');
  `,
};

describe(ServiceProcess.name, () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'svt-harness-'));
    for (const [name, source] of Object.entries(SCRIPTS))
      await writeFile(join(dir, `${name}.js`), source);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function start(
    script: keyof typeof SCRIPTS,
    readyTimeoutMs = 5000,
  ): Promise<ServiceProcess> {
    const [port] = await findFreePorts(1);
    return ServiceProcess.start({
      name: script,
      script: `${script}.js`,
      cwd: dir,
      env: { PORT: String(port) },
      port,
      origin: `http://fake.localhost:${port}`,
      readyTimeoutMs,
    });
  }

  describe('when the service becomes ready', () => {
    it('resolves after /health/ready answers 200, keeps its output, and stops on SIGTERM', async () => {
      const service = await start('healthy');
      expect(service.output()).toContain(`listening on ${service.port}`);
      expect(service.url).toBe(`http://127.0.0.1:${service.port}`);
      await service.stop();
      expect(service.output()).toContain('bye');
      expect(service.crashed).toBe(false);
    });
  });

  describe('when it is given a metrics port', () => {
    it('is reached there as 127.0.0.1, and has no metrics address without one', async () => {
      const [port, metricsPort] = await findFreePorts(2);
      const metered = await ServiceProcess.start({
        name: 'healthy',
        script: 'healthy.js',
        cwd: dir,
        env: { PORT: String(port), METRICS_PORT: String(metricsPort) },
        port,
        origin: `http://fake.localhost:${port}`,
        metricsPort,
      });
      const plain = await start('healthy');
      await Promise.all([metered.stop(), plain.stop()]);

      expect(metered.metrics).toEqual({
        name: 'healthy-metrics',
        port: metricsPort,
        origin: `http://127.0.0.1:${metricsPort}`,
      });
      expect(metered.tail()).toContain(`(ports ${port}, metrics ${metricsPort})`);
      expect(plain.metrics).toBeUndefined();
    });
  });

  describe('when the service exits during startup', () => {
    it('rejects at once with the exit code and its output', async () => {
      const started = Date.now();
      await expect(start('crashing')).rejects.toThrow(
        /crashing exited during startup \(code 78[\s\S]*PORT: required/,
      );
      expect(Date.now() - started).toBeLessThan(4000);
    });
  });

  describe('when the service never becomes ready', () => {
    it('rejects after the timeout with the last answer', async () => {
      await expect(start('neverReady', 800)).rejects.toThrow(
        /did not answer 200 .* within 800 ms \(last: 503 store_unavailable\)/,
      );
    });
  });

  describe('when the service ignores SIGTERM', () => {
    it('kills it after 5 s', async () => {
      const service = await start('stubborn');
      await service.stop();
      expect(service.output()).toMatch(/ignored SIGTERM for 5000 ms; SIGKILL[\s\S]*signal SIGKILL/);
    }, 10_000);
  });
});
