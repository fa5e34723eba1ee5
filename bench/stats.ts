/** Small statistics for the benchmark: percentiles of latency samples, spread of repetitions. */

/** The q-quantile (0..1) of `sorted` (ascending), nearest-rank; NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** Latency percentiles in milliseconds. */
export function summarize(latenciesMs: ArrayLike<number>): LatencySummary {
  const s = sortedCopy(latenciesMs);
  let sum = 0;
  for (const v of s) sum += v;
  return {
    count: s.length,
    p50: quantileSorted(s, 0.5),
    p90: quantileSorted(s, 0.9),
    p99: quantileSorted(s, 0.99),
    p999: quantileSorted(s, 0.999),
    max: s.length === 0 ? Number.NaN : (s[s.length - 1] as number),
    mean: s.length === 0 ? Number.NaN : sum / s.length,
  };
}

/** Median and range of repeated measurements of one figure. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: readonly number[];
}

export function spread(values: readonly number[]): Spread {
  const finite = values.filter((v) => Number.isFinite(v));
  const s = sortedCopy(finite);
  const mid = s.length >> 1;
  const median = s.length === 0 ? Number.NaN : s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return {
    median,
    min: s.length === 0 ? Number.NaN : (s[0] as number),
    max: s.length === 0 ? Number.NaN : (s[s.length - 1] as number),
    values: finite,
  };
}

export const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
