/** Prometheus metrics for operators: calls by outcome, latency histogram, results by severity. */
import * as grpc from '@grpc/grpc-js';
import type { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { runFunction } from '../src/fn.js';
import { BUCKETS, GRPC_CODES, Metrics, serveMetrics } from '../src/grpc/metrics.js';
import { RUNNER_CLIENT_DEFINITIONS, RUNNER_SERVICES, startServer, type RunningServer } from '../src/grpc/server.js';
import { NOW, request, xr } from './support.js';

const log = pino({ level: 'silent' });
const cleanup: Array<() => Promise<unknown> | void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function call(port: number, service: keyof typeof RUNNER_CLIENT_DEFINITIONS, req: RunFunctionRequest): Promise<RunFunctionResponse> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanup.push(() => client.close());
  const def = RUNNER_CLIENT_DEFINITIONS[service].runFunction;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, (err, res) =>
      err ? reject(err) : resolve(res!),
    ),
  );
}

describe('metrics', () => {
  it('counts calls by service and outcome, results by severity, and observes latency', async () => {
    const metrics = new Metrics(RUNNER_SERVICES);
    let throwNext = false;
    const server: RunningServer = await startServer(
      { address: '127.0.0.1:0', host: '127.0.0.1', port: 0, insecure: true, maxRecvMsgSize: 4 * 1024 * 1024 },
      (req) => {
        if (throwNext) throw new Error('boom');
        return runFunction(req, { now: () => NOW });
      },
      log,
      metrics,
    );
    cleanup.push(() => server.drain(0));
    const { server: http, port } = await serveMetrics(metrics, '127.0.0.1', 0);
    cleanup.push(() => new Promise((r) => http.close(r)));

    await call(server.port, 'apiextensions.fn.proto.v1.FunctionRunnerService', request());
    await call(server.port, 'apiextensions.fn.proto.v1.FunctionRunnerService', request());
    await call(server.port, 'apiextensions.fn.proto.v1beta1.FunctionRunnerService', request({ xr: xr({ tier: 'gold' }) }));
    throwNext = true;
    await call(server.port, 'apiextensions.fn.proto.v1.FunctionRunnerService', request());

    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const text = await res.text();
    expect(text).toContain(
      'function_run_function_requests_total{service="apiextensions.fn.proto.v1.FunctionRunnerService",outcome="ok"} 2',
    );
    expect(text).toContain(
      'function_run_function_requests_total{service="apiextensions.fn.proto.v1beta1.FunctionRunnerService",outcome="fatal"} 1',
    );
    expect(text).toContain(
      'function_run_function_requests_total{service="apiextensions.fn.proto.v1.FunctionRunnerService",outcome="internal_error"} 1',
    );
    expect(text).toContain('function_run_function_results_total{severity="fatal"} 2');
    expect(text).toContain('function_run_function_duration_seconds_count{service="apiextensions.fn.proto.v1.FunctionRunnerService"} 3');
    expect(text).toContain(
      'function_run_function_duration_seconds_bucket{service="apiextensions.fn.proto.v1.FunctionRunnerService",le="+Inf"} 3',
    );
    expect(text).toMatch(/^process_resident_memory_bytes [0-9]+$/m);
    expect(text).toMatch(/^process_cpu_seconds_total [0-9.e-]+$/m);
    expect(text).toMatch(/^process_start_time_seconds [0-9]{10}$/m);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);

    // The families and label sets a Go function's go-grpc-middleware interceptor writes: every
    // answered call is gRPC OK (a failure is a Fatal result), the internal error included.
    const v1 = 'grpc_method="RunFunction",grpc_service="apiextensions.fn.proto.v1.FunctionRunnerService",grpc_type="unary"';
    const v1beta1 = 'grpc_method="RunFunction",grpc_service="apiextensions.fn.proto.v1beta1.FunctionRunnerService",grpc_type="unary"';
    for (const line of [
      '# TYPE grpc_server_handled_total counter',
      `grpc_server_started_total{${v1}} 3`,
      `grpc_server_started_total{${v1beta1}} 1`,
      `grpc_server_handled_total{grpc_code="OK",${v1}} 3`,
      `grpc_server_handled_total{grpc_code="OK",${v1beta1}} 1`,
      `grpc_server_handled_total{grpc_code="Internal",${v1}} 0`,
      `grpc_server_msg_received_total{${v1}} 3`,
      `grpc_server_msg_sent_total{${v1}} 3`,
    ])
      expect(text.split('\n')).toContain(line);
  });

  it('starts every RunFunction series at zero, as a Go function does, each family once', () => {
    const text = new Metrics(RUNNER_SERVICES).render();
    const handled = text.split('\n').filter((l) => l.startsWith('grpc_server_handled_total{'));
    expect(handled).toHaveLength(RUNNER_SERVICES.length * GRPC_CODES.length);
    expect(handled.every((l) => l.endsWith(' 0'))).toBe(true);
    for (const family of [
      'grpc_server_started_total',
      'grpc_server_handled_total',
      'grpc_server_msg_received_total',
      'grpc_server_msg_sent_total',
    ]) {
      expect(text.split('\n').filter((l) => l === `# TYPE ${family} counter`)).toHaveLength(1);
    }
  });

  it('keeps histogram buckets cumulative', () => {
    const m = new Metrics();
    const ok = {
      meta: undefined,
      desired: undefined,
      results: [],
      requirements: undefined,
      conditions: [],
    } as unknown as RunFunctionResponse;
    for (const s of [0.0001, 0.003, 0.003, 2]) m.observe('svc', s, ok, false);
    const lines = m
      .render()
      .split('\n')
      .filter((l) => l.startsWith('function_run_function_duration_seconds_bucket'));
    const counts = lines.map((l) => Number(l.split(' ').pop()));
    expect(counts).toHaveLength(BUCKETS.length + 1);
    expect(counts.every((c, i) => i === 0 || c >= counts[i - 1]!)).toBe(true);
    expect(counts[0]).toBe(1);
    expect(counts.at(-1)).toBe(4);
  });

  it('is off unless --metrics-address is given, and must not share the gRPC port', () => {
    expect(parseConfig([], {}).metricsAddress).toBeUndefined();
    expect(parseConfig(['--metrics-address=:8080'], {}).metricsAddress).toEqual({ host: '', port: 8080 });
    expect(() => parseConfig(['--metrics-address=:9443'], {})).toThrow(
      '--metrics-address ":9443" is not valid: it must use a port other than --address',
    );
    // The image's entrypoint passes :8080; a runtime config's args come after it and may turn it off.
    expect(parseConfig(['--metrics-address=:8080', '--metrics-address='], {}).metricsAddress).toBeUndefined();
  });
});
