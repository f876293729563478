import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  findFreePorts,
  findWorkspaceRoot,
  pollUntil,
  readTestEnvironment,
} from '@svt/shared/testing';

/**
 * `npm start` (tools/start.mjs, after the build) as a newcomer meets it: the
 * ports it needs checked before anything starts, the services' lines in one
 * format (JSON on a pipe, pretty on a terminal), and the Ready block last.
 * It runs on free ports (AUTH_PORT and the rest), so that a real `npm start`
 * on this machine is no obstacle.
 */

const root = findWorkspaceRoot();
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;
const READY = /^ {2}Ready, on the /m;
const SERVICES = ['auth', 'gateway', 'cart'] as const;
/**
 * Blank, so that neither the caller's environment nor a developer's .env
 * (which start.mjs loads without overriding what is set) chooses a backend,
 * a format or origins: a blank variable counts as unset.
 */
const UNSET = Object.fromEntries(
  [
    'NODE_ENV',
    'HOST',
    'LOG_FORMAT',
    'DATABASE_URL',
    'AUTH_DATABASE_URL',
    'CART_DATABASE_URL',
    'REDIS_URL',
    'AUTH_ORIGIN',
    'CART_ORIGIN',
    'SHOP_ORIGIN',
  ].map((name) => [name, '']),
);

interface Ports {
  AUTH_PORT: string;
  CART_PORT: string;
  GATEWAY_PORT: string;
  AUTH_METRICS_PORT: string;
  CART_METRICS_PORT: string;
  GATEWAY_METRICS_PORT: string;
}

async function freePorts(): Promise<Ports> {
  const [auth, cart, gateway, authMetrics, cartMetrics, gatewayMetrics] = (
    await findFreePorts(6)
  ).map(String);
  return {
    AUTH_PORT: auth,
    CART_PORT: cart,
    GATEWAY_PORT: gateway,
    AUTH_METRICS_PORT: authMetrics,
    CART_METRICS_PORT: cartMetrics,
    GATEWAY_METRICS_PORT: gatewayMetrics,
  };
}

/** A run of tools/start.mjs, its output kept (stdout and stderr apart, unless on a terminal). */
class StartRun {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * On a pipe, or with `terminal` in a pseudo-terminal made by util-linux's
   * `script`, where stdout and stderr are one stream and lines end in CRLF.
   */
  static begin(env: Record<string, string>, terminal = false): StartRun {
    const child = terminal
      ? spawn('script', ['-qec', `exec "${process.execPath}" tools/start.mjs`, '/dev/null'], {
          cwd: root,
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, ['tools/start.mjs'], {
          cwd: root,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          // A process group of its own, for kill() to take the services with it.
          detached: true,
        });
    return new StartRun(child);
  }

  /** Lines of stdout, without colours and carriage returns. */
  lines(): string[] {
    return this.stdout.replace(ANSI, '').replace(/\r/g, '').split('\n');
  }

  async untilReady(): Promise<void> {
    const early = this.exited.then((code) => {
      throw new Error(`start.mjs exited (${code}) before Ready:\n${this.stdout}${this.stderr}`);
    });
    await Promise.race([
      early,
      pollUntil(
        async () => READY.test(this.stdout.replace(/\r/g, '')),
        (ready) => ready,
        { timeoutMs: 90_000, intervalMs: 100 },
      ),
    ]);
    early.catch(() => undefined);
  }

  /** Ctrl-C: SIGINT on a pipe, the ^C byte on the terminal. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode === null) {
      if (this.child.stdin) this.child.stdin.write('\x03');
      else this.child.kill('SIGINT');
    }
    return this.exited;
  }

  /**
   * After a failed test: whatever is left of the run, killed. On a terminal
   * the services go with the pseudo-terminal when `script` ends.
   */
  kill(): void {
    if (this.child.pid === undefined) return;
    try {
      process.kill(this.child.stdin ? this.child.pid : -this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function occupy(port: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(Number(port), '127.0.0.1', () => resolve(server));
  });
}

describe('npm start (tools/start.mjs)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let ports: Ports;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'svt-npm-start-'));
    ports = await freePorts();
    env = { ...readTestEnvironment().inherited, ...UNSET, DATA_DIR: dataDir, ...ports };
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  describe('when a port it needs is taken', () => {
    it('names each port, who wanted it and what moves it, exits 1, and starts nothing', async () => {
      const servers = await Promise.all([occupy(ports.AUTH_PORT), occupy(ports.CART_METRICS_PORT)]);
      const run = StartRun.begin(env);
      try {
        expect(
          await Promise.race([run.exited, delay(20_000, 'still running', { ref: false })]),
        ).toBe(1);
        expect(run.stderr.split('\n').filter(Boolean)).toEqual([
          `port ${ports.AUTH_PORT} (auth) is in use: is another npm start running? Stop it, or set AUTH_PORT`,
          `port ${ports.CART_METRICS_PORT} (cart metrics) is in use: is another npm start running? Stop it, or set CART_METRICS_PORT`,
        ]);
        expect(run.stdout).toBe('');
      } finally {
        run.kill();
        await Promise.all(servers.map((server) => new Promise((done) => server.close(done))));
      }
    });
  });

  describe('on a pipe (CI, a file, less)', () => {
    let run: StartRun;

    beforeEach(async () => {
      run = StartRun.begin(env);
      await run.untilReady();
    }, 120_000);

    afterEach(async () => {
      try {
        expect(
          await Promise.race([run.interrupt(), delay(20_000, 'still running', { ref: false })]),
        ).toBe(0);
      } finally {
        run.kill();
      }
    }, 30_000);

    it("prints the Ready block after every service's listening line", () => {
      const lines = run.lines();
      const ready = lines.findIndex((line) => READY.test(line));
      for (const name of SERVICES) {
        const port = ports[`${name.toUpperCase() as Uppercase<typeof name>}_PORT`];
        const listening = lines.findIndex(
          (line) =>
            line.startsWith(`[${name}] `) &&
            line.includes(`"msg":"${name} listening on http://127.0.0.1:${port},`),
        );
        expect({ name, listening: listening >= 0, beforeReady: listening < ready }).toEqual({
          name,
          listening: true,
          beforeReady: true,
        });
      }
    });

    it("writes every service line as JSON with pino's level label and an ISO time, none of Nest's route mapping, no warning", () => {
      const serviceLines = run
        .lines()
        .filter((line) => /^\[(auth|gateway|cart)\] /.test(line))
        .map((line) => line.replace(/^\[\w+\] /, ''));

      expect(serviceLines.length).toBeGreaterThanOrEqual(3);
      for (const line of serviceLines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        expect(entry['level']).toMatch(/^(trace|debug|info|warn|error|fatal)$/);
        expect(entry['time']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      expect(serviceLines.join('\n')).not.toContain('Mapped {');
      expect(serviceLines.filter((line) => /"level":"(warn|error|fatal)"/.test(line))).toEqual([]);
    });

    it('refuses a second npm start on the same ports before printing anything but the reason', async () => {
      const second = StartRun.begin(env);

      try {
        expect(
          await Promise.race([second.exited, delay(20_000, 'still running', { ref: false })]),
        ).toBe(1);
      } finally {
        second.kill();
      }
      expect(second.stdout).toBe('');
      expect(second.stderr).toContain(
        `port ${ports.GATEWAY_PORT} (gateway) is in use: is another npm start running? Stop it, or set GATEWAY_PORT`,
      );
      expect(second.stderr).not.toMatch(READY);
    });
  });

  describe('on a terminal', () => {
    it('has the services write one pretty line per record, and stops on Ctrl-C', async () => {
      const run = StartRun.begin(env, true);
      try {
        await run.untilReady();
        expect(
          await Promise.race([run.interrupt(), delay(20_000, 'still running', { ref: false })]),
        ).toBe(0);
      } finally {
        run.kill();
      }

      const lines = run.lines().filter((line) => /^\[(auth|gateway|cart)\] /.test(line));
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^\\[auth\\] \\[\\d{2}:\\d{2}:\\d{2}\\.\\d{3}\\] INFO: auth listening on http://127\\.0\\.0\\.1:${ports.AUTH_PORT}, `,
          ),
        ),
      );
      expect(lines.filter((line) => line.replace(/^\[\w+\] /, '').startsWith('{'))).toEqual([]);
    }, 120_000);
  });
});
