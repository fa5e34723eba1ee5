/**
 * Prometheus metrics, served on their own port when --metrics-address is given (as Crossplane's
 * Go functions offer): RunFunction calls by service and outcome, a latency histogram, results by
 * severity. The text exposition format is small enough to write by hand.
 * https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import { createServer, type Server } from 'node:http';
import { Severity, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';

/** Latency buckets in seconds: the function answers in well under a millisecond when healthy. */
export const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] as const;

export type Outcome = 'ok' | 'fatal' | 'internal_error';

const SEVERITY_NAMES: Readonly<Record<number, string>> = {
  [Severity.SEVERITY_FATAL]: 'fatal',
  [Severity.SEVERITY_WARNING]: 'warning',
  [Severity.SEVERITY_NORMAL]: 'normal',
};

export class Metrics {
  private readonly calls = new Map<string, number>();
  private readonly results = new Map<string, number>();
  private readonly bucketCounts = new Map<string, number[]>();
  private readonly sums = new Map<string, number>();

  /** Records one RunFunction call. */
  observe(service: string, seconds: number, res: RunFunctionResponse, internalError: boolean): void {
    const fatal = res.results.some((r) => r.severity === Severity.SEVERITY_FATAL);
    const outcome: Outcome = internalError ? 'internal_error' : fatal ? 'fatal' : 'ok';
    inc(this.calls, `service="${service}",outcome="${outcome}"`);
    for (const r of res.results) inc(this.results, `severity="${SEVERITY_NAMES[r.severity] ?? 'unspecified'}"`);
    const key = `service="${service}"`;
    const counts = this.bucketCounts.get(key) ?? new Array<number>(BUCKETS.length + 1).fill(0);
    const index = BUCKETS.findIndex((b) => seconds <= b);
    counts[index < 0 ? BUCKETS.length : index]! += 1;
    this.bucketCounts.set(key, counts);
    this.sums.set(key, (this.sums.get(key) ?? 0) + seconds);
  }

  /** The Prometheus text exposition of everything recorded so far. */
  render(): string {
    const lines: string[] = [
      '# HELP function_run_function_requests_total RunFunction calls answered, by service and outcome.',
      '# TYPE function_run_function_requests_total counter',
      ...[...this.calls].map(([labels, n]) => `function_run_function_requests_total{${labels}} ${n}`),
      '# HELP function_run_function_results_total Results returned, by severity.',
      '# TYPE function_run_function_results_total counter',
      ...[...this.results].map(([labels, n]) => `function_run_function_results_total{${labels}} ${n}`),
      '# HELP function_run_function_duration_seconds Time to answer a RunFunction call.',
      '# TYPE function_run_function_duration_seconds histogram',
    ];
    for (const [key, counts] of this.bucketCounts) {
      let cumulative = 0;
      BUCKETS.forEach((bound, i) => {
        cumulative += counts[i]!;
        lines.push(`function_run_function_duration_seconds_bucket{${key},le="${bound}"} ${cumulative}`);
      });
      cumulative += counts[BUCKETS.length]!;
      lines.push(`function_run_function_duration_seconds_bucket{${key},le="+Inf"} ${cumulative}`);
      lines.push(`function_run_function_duration_seconds_sum{${key}} ${this.sums.get(key) ?? 0}`);
      lines.push(`function_run_function_duration_seconds_count{${key}} ${cumulative}`);
    }
    lines.push(
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    );
    return `${lines.join('\n')}\n`;
  }
}

function inc(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Serves GET /metrics on host:port; resolves with the bound port once listening. */
export function serveMetrics(metrics: Metrics, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(metrics.render());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host === '' ? undefined : host, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}
