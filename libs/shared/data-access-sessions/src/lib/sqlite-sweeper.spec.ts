import { Logger } from '@nestjs/common';
import { SqliteSweeper } from './sqlite-sweeper';

class RecordingLogger extends Logger {
  readonly warnings: unknown[] = [];

  override warn(message: unknown): void {
    this.warnings.push(message);
  }
}

describe(SqliteSweeper.name, () => {
  let now: number;
  let swept: number[];
  let logger: RecordingLogger;
  let sweeper: SqliteSweeper | undefined;

  function start(sweep: (at: number) => Promise<unknown>): SqliteSweeper {
    sweeper = new SqliteSweeper(sweep, {
      now: () => now,
      intervalMs: 60_000,
      logger,
      what: 'ended rows',
    });
    return sweeper;
  }

  beforeEach(() => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    now = 1_000;
    swept = [];
    logger = new RecordingLogger();
  });

  afterEach(() => {
    sweeper?.stop();
    sweeper = undefined;
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('sweeps every intervalMs with the injected time', async () => {
    start(async (at) => swept.push(at));

    now = 5_000;
    await jest.advanceTimersByTimeAsync(60_000);
    now = 9_000;
    await jest.advanceTimersByTimeAsync(60_000);

    expect(swept).toEqual([5_000, 9_000]);
  });

  it('sweeps on demand only once intervalMs has passed by the injected clock', async () => {
    const running = start(async (at) => swept.push(at));

    now = 60_999;
    await running.sweepIfDue();
    expect(swept).toEqual([]);

    now = 61_000;
    await running.sweepIfDue();
    await running.sweepIfDue();
    expect(swept).toEqual([61_000]);
  });

  it('logs a failed sweep and sweeps again on the next interval', async () => {
    let calls = 0;
    start(async () => {
      if (++calls === 1) throw new Error('database is locked');
    });

    await jest.advanceTimersByTimeAsync(60_000);
    await jest.advanceTimersByTimeAsync(60_000);

    expect(logger.warnings).toEqual(['Sweeping ended rows failed: database is locked']);
    expect(calls).toBe(2);
  });

  it('stops sweeping once stopped', async () => {
    start(async (at) => swept.push(at)).stop();

    await jest.advanceTimersByTimeAsync(180_000);

    expect(swept).toEqual([]);
  });

  it('does not keep the process alive', () => {
    const setInterval = jest.spyOn(global, 'setInterval');
    start(async () => undefined);

    const timer = setInterval.mock.results[0]?.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
  });
});
