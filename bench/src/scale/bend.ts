import type { ScalePoint } from './scale-types';

const fixed = (value: number, digits = 0): string =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** A size as the tables write it: 1 000, 10 k, 1 M. */
export function formatSize(x: number): string {
  if (x >= 1_000_000 && x % 1_000_000 === 0) return `${x / 1_000_000} M`;
  if (x >= 10_000 && x % 1_000 === 0) return `${x / 1_000} k`;
  return fixed(x);
}

/** A measured value as the tables write it: more digits for small ones. */
export function formatValue(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const size = Math.abs(value);
  return fixed(value, size >= 100 || size === 0 ? 0 : size >= 10 ? 1 : 2);
}

/**
 * Whether `key` stays within `tolerance` of its value at the first size in
 * the direction that costs (`worse`: a fall for throughput, a rise for CPU),
 * and if not, the first size where it leaves it: "flat (…)" or "bends at …".
 * A move the other way is noise on a shared machine, not a bend.
 */
export function judgeFlat(
  points: readonly ScalePoint[],
  key: string,
  label: string,
  tolerance: number,
  worse: 'down' | 'up',
): { flat: boolean; text: string } {
  const first = points[0];
  const base = first?.values[key];
  if (!first || base === undefined || base === 0) return { flat: false, text: `${label}: no data` };
  const ratios = points.map((p) => ({ x: p.x, ratio: (p.values[key] ?? NaN) / base }));
  const leaving = ratios.find((r) =>
    worse === 'down' ? !(r.ratio >= 1 - tolerance) : !(r.ratio <= 1 + tolerance),
  );
  const spread = ratios.map((r) => `${(r.ratio * 100).toFixed(0)} %`).join(', ');
  if (!leaving) {
    return {
      flat: true,
      text: `${label} flat: never more than ${(tolerance * 100).toFixed(0)} % ${worse === 'down' ? 'below' : 'above'} ${formatSize(first.x)}'s (${spread})`,
    };
  }
  return {
    flat: false,
    text: `${label} bends at ${formatSize(leaving.x)}: ${(leaving.ratio * 100).toFixed(0)} % of ${formatSize(first.x)}'s (${spread})`,
  };
}
