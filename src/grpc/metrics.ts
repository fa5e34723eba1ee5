/**
 * Prometheus metrics, served on their own port when --metrics-address is given (the image gives
 * `:8080`, the port Crossplane's function Deployment names `metrics`, where function-sdk-go
 * serves them by default).
 *
 * The families a Go function exposes, under the same names, labels and help texts, so that
 * dashboards and alerts written for Go functions work unchanged: function-sdk-go installs
 * go-grpc-middleware's Prometheus server interceptor, which counts
 * grpc_server_started_total, grpc_server_handled_total (with grpc_code), and
 * grpc_server_msg_received_total / grpc_server_msg_sent_total, every RunFunction method
 * pre-registered at zero. Go's go_* runtime families have no Node equivalent; of process_*, the
 * CPU, resident memory and start time are here.
 *
 * Beyond those, what the Go interceptor cannot see: calls by outcome (ok, fatal, internal_error;
 * every call is gRPC OK because a failure is a Fatal result), a latency histogram, results by
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

/** Every gRPC status code by the name Go's codes.Code.String() gives it, as go-grpc-middleware labels them. */
export const GRPC_CODES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const;

const GRPC_FAMILIES = [
  ['grpc_server_started_total', 'Total number of RPCs started on the server.'],
  ['grpc_server_handled_total', 'Total number of RPCs completed on the server, regardless of success or failure.'],
  ['grpc_server_msg_received_total', 'Total number of RPC stream messages received on the server.'],
  ['grpc_server_msg_sent_total', 'Total number of gRPC stream messages sent by the server.'],
] as const;

export class Metrics {
  private readonly grpcCounts = new Map<string, number>();
  private readonly calls = new Map<string, number>();
  private readonly results = new Map<string, number>();
  private readonly bucketCounts = new Map<string, number[]>();
  private readonly sums = new Map<string, number>();

  /**
   * @param services the gRPC services whose RunFunction is counted; their series start at zero,
   *   as InitializeMetrics does for a Go function.
   */
  constructor(services: readonly string[] = []) {
    for (const service of services) {
      const labels = grpcLabels(service);
      for (const [family] of GRPC_FAMILIES) {
        if (family === 'grpc_server_handled_total')
          for (const code of GRPC_CODES) this.grpcCounts.set(`${family}{grpc_code="${code}",${labels}}`, 0);
        else this.grpcCounts.set(`${family}{${labels}}`, 0);
      }
    }
  }

  /** Records one RunFunction call (answered: gRPC status OK, whatever the results say). */
  observe(service: string, seconds: number, res: RunFunctionResponse, internalError: boolean): void {
    const labels = grpcLabels(service);
    inc(this.grpcCounts, `grpc_server_started_total{${labels}}`);
    inc(this.grpcCounts, `grpc_server_msg_received_total{${labels}}`);
    inc(this.grpcCounts, `grpc_server_msg_sent_total{${labels}}`);
    inc(this.grpcCounts, `grpc_server_handled_total{grpc_code="OK",${labels}}`);
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
    const lines: string[] = [];
    for (const [family, help] of GRPC_FAMILIES) {
      lines.push(`# HELP ${family} ${help}`, `# TYPE ${family} counter`);
      for (const [series, n] of this.grpcCounts) if (series.startsWith(`${family}{`)) lines.push(`${series} ${n}`);
    }
    lines.push(
      '# HELP function_run_function_requests_total RunFunction calls answered, by service and outcome.',
      '# TYPE function_run_function_requests_total counter',
      ...[...this.calls].map(([labels, n]) => `function_run_function_requests_total{${labels}} ${n}`),
      '# HELP function_run_function_results_total Results returned, by severity.',
      '# TYPE function_run_function_results_total counter',
      ...[...this.results].map(([labels, n]) => `function_run_function_results_total{${labels}} ${n}`),
      '# HELP function_run_function_duration_seconds Time to answer a RunFunction call.',
      '# TYPE function_run_function_duration_seconds histogram',
    );
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
    const cpu = process.cpuUsage();
    lines.push(
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
      '# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.',
      '# TYPE process_start_time_seconds gauge',
      `process_start_time_seconds ${START_TIME_SECONDS}`,
    );
    return `${lines.join('\n')}\n`;
  }
}

const START_TIME_SECONDS = Math.round(performance.timeOrigin / 1000);

/** go-grpc-middleware's labels for a unary RunFunction, in the order Prometheus's Go client writes them. */
function grpcLabels(service: string): string {
  return `grpc_method="RunFunction",grpc_service="${service}",grpc_type="unary"`;
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
