/**
 * How steady is this machine? Spins on one core for a few seconds reading the clock and records
 * every gap longer than 0.2 ms: time the process was not running (another process, the
 * hypervisor, interrupts). Gaps of this kind hit every competitor alike and put a floor under
 * the p99 any of them can reach, so the benchmark measures them on the server core and reports
 * them beside the latencies.
 *
 *   node dist/bench/hiccup.js SECONDS     (prints one JSON object)
 */
export interface Hiccups {
  readonly seconds: number;
  /** Gaps longer than 0.2 ms. */
  readonly gaps: number;
  /** Fraction of the time spent in such gaps. */
  readonly stalledFraction: number;
  readonly maxGapMs: number;
  /** Gaps longer than 1 ms, 5 ms. */
  readonly over1ms: number;
  readonly over5ms: number;
  /**
   * Fraction of instants from which the process next ran more than 5 ms later: a request that
   * arrives at such an instant waits more than 5 ms whatever the server does.
   */
  readonly delayedOver5msFraction: number;
}

export function measureHiccups(seconds: number): Hiccups {
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  const gaps: number[] = [];
  let prev = start;
  while (prev < end) {
    const t = process.hrtime.bigint();
    const gap = Number(t - prev) / 1e6;
    if (gap > 0.2) gaps.push(gap);
    prev = t;
  }
  const totalMs = Number(prev - start) / 1e6;
  const stalled = gaps.reduce((a, b) => a + b, 0);
  return {
    seconds,
    gaps: gaps.length,
    stalledFraction: stalled / totalMs,
    maxGapMs: gaps.length === 0 ? 0 : Math.max(...gaps),
    over1ms: gaps.filter((g) => g > 1).length,
    over5ms: gaps.filter((g) => g > 5).length,
    delayedOver5msFraction: gaps.reduce((a, g) => a + Math.max(0, g - 5), 0) / totalMs,
  };
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, '/'))) {
  process.stdout.write(`${JSON.stringify(measureHiccups(Number(process.argv[2] ?? 5)))}\n`);
}
