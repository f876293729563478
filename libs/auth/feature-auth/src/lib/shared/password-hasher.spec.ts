import { ConcurrencyLimit, hashesAtOnce } from './password-hasher';

/** A task that runs until `finish` is called, recording how many ran at once. */
function gate(counter: { now: number; peak: number }): {
  task: () => Promise<string>;
  finish: () => void;
} {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    finish: () => finish(),
    task: async () => {
      counter.now++;
      counter.peak = Math.max(counter.peak, counter.now);
      await done;
      counter.now--;
      return 'done';
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe(ConcurrencyLimit.name, () => {
  it('runs no more than its limit at once, and the rest in arrival order', async () => {
    const limit = new ConcurrencyLimit(2);
    const counter = { now: 0, peak: 0 };
    const gates = Array.from({ length: 5 }, () => gate(counter));
    const order: number[] = [];
    const results = gates.map((g, i) =>
      limit.run(async () => {
        order.push(i);
        return g.task();
      }),
    );
    await settle();
    expect(order).toEqual([0, 1]);
    for (const g of gates) {
      g.finish();
      await settle();
    }
    await expect(Promise.all(results)).resolves.toEqual(Array(5).fill('done'));
    expect(counter.peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });

  it('frees the slot of a task that fails, and the failure is the caller’s', async () => {
    const limit = new ConcurrencyLimit(1);
    await expect(limit.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(limit.run(async () => 'next')).resolves.toBe('next');
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a limit of %s with a TypeError', (value) => {
    expect(() => new ConcurrencyLimit(value)).toThrow(TypeError);
  });
});

describe(hashesAtOnce.name, () => {
  it.each([
    [1, 1],
    [2, 1],
    [4, 3],
    [16, 15],
  ])('on %s cores runs %s at once, leaving a core to the event loop', (cores, expected) => {
    expect(hashesAtOnce(cores)).toBe(expected);
  });
});
