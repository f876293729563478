import { formatSize, formatValue, judgeFlat } from './bend';
import type { ScalePoint } from './scale-types';

const series = (...values: number[]): ScalePoint[] =>
  values.map((value, i) => ({ x: 10 ** (i + 3), values: { v: value } }));

describe(judgeFlat.name, () => {
  describe('for a throughput, which costs when it falls', () => {
    it('is flat while no size falls more than the tolerance below the first', () => {
      expect(judgeFlat(series(100, 95, 120), 'v', 'req/s', 0.1, 'down')).toEqual({
        flat: true,
        text: "req/s flat: never more than 10 % below 1,000's (100 %, 95 %, 120 %)",
      });
    });

    it('bends at the first size that falls further', () => {
      expect(judgeFlat(series(100, 85, 50), 'v', 'req/s', 0.1, 'down')).toEqual({
        flat: false,
        text: "req/s bends at 10 k: 85 % of 1,000's (100 %, 85 %, 50 %)",
      });
    });
  });

  describe('for a cost, which costs when it rises', () => {
    it('bends at the first size above the tolerance and ignores falls', () => {
      expect(judgeFlat(series(100, 60, 130), 'v', 'CPU', 0.15, 'up').text).toBe(
        "CPU bends at 100 k: 130 % of 1,000's (100 %, 60 %, 130 %)",
      );
    });
  });

  it('does not call a size without a value flat', () => {
    const points: ScalePoint[] = [
      { x: 1, values: { v: 1 } },
      { x: 2, values: {} },
    ];
    expect(judgeFlat(points, 'v', 'req/s', 0.1, 'down').flat).toBe(false);
  });
});

describe(formatSize.name, () => {
  it.each([
    [1, '1'],
    [1_000, '1,000'],
    [10_000, '10 k'],
    [100_000, '100 k'],
    [1_000_000, '1 M'],
    [12_345, '12,345'],
  ])('writes %d as %s', (x, text) => {
    expect(formatSize(x)).toBe(text);
  });
});

describe(formatValue.name, () => {
  it.each([
    [undefined, '–'],
    [Number.NaN, '–'],
    [0, '0'],
    [0.066, '0.07'],
    [35.71, '35.7'],
    [5_291.4, '5,291'],
  ])('writes %p as %s', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});
