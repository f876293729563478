import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from 'undici';
import type { ServiceAddress } from './http-client';

/** A started service, as the suites see it. */
export interface Service {
  /** `auth`, `cart` or `gateway`. */
  readonly name: string;
  readonly port: number;
  /** Public origin, e.g. `http://shop.localhost:43121`. */
  readonly origin: string;
  /** Where it listens, e.g. `http://127.0.0.1:43121`. */
  readonly url: string;
  /** The process id, e.g. to read its memory from `/proc`. */
  readonly pid: number | undefined;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /**
   * Sends SIGTERM (and nothing after it) and resolves how the process ended,
   * for tests of graceful shutdown. `stop()` still cleans up after it.
   */
  terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Sends SIGKILL, as a crash would end it (no shutdown hooks, nothing
   * flushed), and resolves once it is gone. `stop()` still cleans up after it.
   */
  kill(): Promise<void>;
}

/** A service of this project: it also serves `/metrics`, on an internal port of its own. */
export interface MeteredService extends Service {
  /** Its metrics server (`METRICS_PORT`), for `http()`: `http(sut.shop.metrics).get('/metrics')`. */
  readonly metrics: ServiceAddress;
}

export interface ServiceProcessOptions {
  name: string;
  /** Path of the built entry point, relative to `cwd`. */
  script: string;
  cwd: string;
  env: Record<string, string>;
  port: number;
  origin: string;
  /** The `METRICS_PORT` it was given, if it has a metrics server. */
  metricsPort?: number;
  readyTimeoutMs?: number;
  readyPath?: string;
  /** Command-line arguments after the script. */
  args?: readonly string[];
}

const MAX_LINES = 5000;
const TAIL_LINES = 100;
const KILL_AFTER_MS = 5000;

/** A service running as a child process, with its output kept in memory. */
export class ServiceProcess implements Service {
  readonly url: string;
  readonly pid: number | undefined;
  /** Its metrics server, reached as `127.0.0.1:<metricsPort>`; undefined without one. */
  readonly metrics: ServiceAddress | undefined;
  private readonly lines: string[] = [];
  private partial = '';
  private droppedLines = 0;
  private exitInfo: {
    code: number | null;
    signal: NodeJS.Signals | null;
  } | null = null;
  private readonly exited: Promise<void>;
  private stopping = false;
  private readonly killOnParentExit = (): void => {
    this.child.kill('SIGKILL');
  };

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly origin: string,
    metricsPort: number | undefined,
    private readonly child: ChildProcess,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.pid = child.pid;
    this.metrics =
      metricsPort === undefined
        ? undefined
        : { name: `${name}-metrics`, port: metricsPort, origin: `http://127.0.0.1:${metricsPort}` };
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.append(chunk));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.append(
          `${this.partial === '' ? '' : '\n'}[harness] ${name} exited (code ${code}, signal ${signal})\n`,
        );
        this.exitInfo = { code, signal };
        process.removeListener('exit', this.killOnParentExit);
        resolve();
      });
      child.once('error', (error) => {
        this.append(`[harness] could not run ${name}: ${error.message}\n`);
        this.exitInfo ??= { code: null, signal: null };
        resolve();
      });
    });
    // A crashed test runner must not leave servers behind.
    process.once('exit', this.killOnParentExit);
  }

  /**
   * Spawns `node <script>` and resolves once `GET /health/ready` answers 200.
   * Rejects (after killing the process) when it exits first or the timeout
   * passes, with the tail of its output in the message. With `metricsPort`
   * it is a `MeteredService`: `metrics` is where it was told to serve them.
   */
  static start(
    options: ServiceProcessOptions & { metricsPort: number },
  ): Promise<ServiceProcess & MeteredService>;
  static start(options: ServiceProcessOptions): Promise<ServiceProcess>;
  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const child = spawn(process.execPath, [options.script, ...(options.args ?? [])], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(
      options.name,
      options.port,
      options.origin,
      options.metricsPort,
      child,
    );
    try {
      await service.waitUntilReady(
        options.readyTimeoutMs ?? 30_000,
        options.readyPath ?? '/health/ready',
      );
      return service;
    } catch (error) {
      await service.stop();
      throw error;
    }
  }

  output(): string {
    const dropped =
      this.droppedLines > 0 ? [`[harness] … ${this.droppedLines} earlier lines dropped`] : [];
    const partial = this.partial === '' ? [] : [this.partial];
    return [...dropped, ...this.lines, ...partial].join('\n');
  }

  /** The last `count` lines of output, framed for a log. */
  tail(count = TAIL_LINES): string {
    const all = this.output().split('\n');
    const lines = all.slice(-count);
    const ports = this.metrics
      ? `ports ${this.port}, metrics ${this.metrics.port}`
      : `port ${this.port}`;
    const header = `--- ${this.name} (${ports}), last ${lines.length} of ${all.length} lines ---`;
    return `${header}\n${lines.join('\n')}\n--- end of ${this.name} ---`;
  }

  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.stopping = true;
    if (this.exitInfo === null) this.child.kill('SIGTERM');
    await this.exited;
    return this.exitInfo ?? { code: null, signal: null };
  }

  async kill(): Promise<void> {
    this.stopping = true;
    if (this.exitInfo === null) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Whether it exited before `stop()` was asked for. */
  get crashed(): boolean {
    return this.exitInfo !== null && !this.stopping;
  }

  /** SIGTERM, then SIGKILL if it is still running after 5 s. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.exitInfo === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.append(`[harness] ${this.name} ignored SIGTERM for ${KILL_AFTER_MS} ms; SIGKILL\n`);
        this.child.kill('SIGKILL');
      }, KILL_AFTER_MS);
      try {
        await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    process.removeListener('exit', this.killOnParentExit);
  }

  private async waitUntilReady(timeoutMs: number, path: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const host = new URL(this.origin).host;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.exitInfo !== null) {
        const { code, signal } = this.exitInfo;
        throw this.startupError(`exited during startup (code ${code}, signal ${signal})`);
      }
      try {
        const response = await request(`${this.url}${path}`, {
          headers: { host },
          headersTimeout: 2000,
          bodyTimeout: 2000,
        });
        const body = await response.body.text();
        if (response.statusCode === 200) return;
        last = `${response.statusCode} ${body.slice(0, 300)}`;
      } catch (error) {
        last = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      await Promise.race([delay(100), this.exited]);
    }
    throw this.startupError(
      `did not answer 200 on GET ${path} within ${timeoutMs} ms (last: ${last})`,
    );
  }

  private startupError(reason: string): Error {
    return new Error(`e2e: ${this.name} ${reason}\n${this.tail()}`);
  }

  private append(chunk: string): void {
    const pieces = (this.partial + chunk).split('\n');
    this.partial = pieces.pop() ?? '';
    this.lines.push(...pieces);
    const excess = this.lines.length - MAX_LINES;
    if (excess > 0) {
      this.lines.splice(0, excess);
      this.droppedLines += excess;
    }
  }
}
