/**
 * Talking to the servers from the benchmark: a grpc-js client for single calls (readiness probes,
 * response checks, cold starts, the allocation phase) and a driver for the Go load generator
 * (bench/loadgen/main.go, built by scripts/install-bench-tools.sh) that runs every timed window.
 *
 * Why the timed windows are not driven from Node: a single-threaded grpc-js client and a Node
 * server ping-pong in batches (each handles a whole burst of calls in one event-loop turn while
 * the other waits), so at concurrency 16 neither core is saturated and the server's throughput
 * is understated by half. The Go client sends each call as soon as its answer arrives, as
 * Crossplane's own grpc-go client does, and uses a small fraction of its core.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { RunFunctionResponse, Severity } from '@crossplane-org/function-sdk-typescript';

export const RUN_FUNCTION_PATH = '/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction';
const MiB = 1024 * 1024;
const identity = (b: Buffer): Buffer => b;

/** A client with its own connection (grpc-js otherwise shares subchannels between clients). */
export function newClient(target: string): grpc.Client {
  return new grpc.Client(target, grpc.credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.max_receive_message_length': 64 * MiB,
    'grpc.max_send_message_length': 64 * MiB,
    'grpc.initial_reconnect_backoff_ms': 10,
    'grpc.max_reconnect_backoff_ms': 100,
  });
}

export function call(client: grpc.Client, bytes: Buffer, deadlineMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(RUN_FUNCTION_PATH, identity, identity, bytes, { deadline: Date.now() + deadlineMs }, (err, value) => {
      if (err !== null || value === undefined) reject(err ?? new Error('no response'));
      else resolve(value);
    });
  });
}

export interface ResponseCheck {
  readonly bytes: number;
  readonly desiredResources: number;
  readonly fatal: string | undefined;
  readonly tag: string;
}

/** Decodes one response to check it is a real answer (no Fatal result, resources present). */
export function checkResponse(bytes: Buffer): ResponseCheck {
  const res = RunFunctionResponse.decode(bytes);
  const fatal = res.results.find((r) => r.severity === Severity.SEVERITY_FATAL);
  return {
    bytes: bytes.length,
    desiredResources: Object.keys(res.desired?.resources ?? {}).length,
    fatal: fatal?.message,
    tag: res.meta?.tag ?? '',
  };
}

export interface Window {
  readonly completed: number;
  readonly errors: number;
  readonly firstError: string | undefined;
  readonly wallSeconds: number;
  /** Until the last call in flight completed (CPU figures are per this time). */
  readonly elapsedSeconds: number;
  /** Latencies of the calls that completed inside the window, in ms (open loop: from the scheduled send). */
  readonly latenciesMs: Float64Array;
  /** CPU time the load generator used, as a fraction of one core. */
  readonly clientCpu: number;
}

export interface OpenWindow extends Window {
  readonly rate: number;
  /** Calls sent (all are awaited). */
  readonly sent: number;
  /** Service latency from the actual send, in ms (the scheduled-time latency is `latenciesMs`). */
  readonly serviceLatenciesMs: Float64Array;
  /** How late the load generator sent, at worst, in ms. */
  readonly maxSendLagMs: number;
}

interface GoResult {
  readonly completed: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly wallSeconds: number;
  readonly elapsedSeconds: number;
  readonly clientCpuSeconds: number;
  readonly latenciesUs: readonly number[] | null;
  readonly serviceLatenciesUs?: readonly number[] | null;
  readonly maxSendLagUs?: number;
  readonly sent?: number;
  readonly error?: string;
}

const toMs = (us: readonly number[] | null | undefined): Float64Array => Float64Array.from(us ?? [], (x) => x / 1000);

/** The Go load generator as a child process on its own core, one JSON command a line. */
export class LoadGen {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(bin: string, core: number) {
    this.child = spawn('taskset', ['-c', String(core), bin], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.pipe(process.stderr);
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  private async send(command: Record<string, unknown>): Promise<GoResult> {
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    const next = await this.lines.next();
    if (next.done === true) throw new Error('the load generator exited');
    const result = JSON.parse(next.value) as GoResult;
    if (result.error !== undefined) throw new Error(`load generator: ${result.error}`);
    return result;
  }

  /**
   * Closed loop on the connection named `conn` (created on first use): `concurrency` calls in
   * flight for at least `durationMs` and until `minCompleted` calls completed.
   */
  async closed(
    conn: string,
    target: string,
    requestFile: string,
    concurrency: number,
    durationMs: number,
    minCompleted = 0,
  ): Promise<Window> {
    const r = await this.send({ conn, target, request: requestFile, mode: 'closed', concurrency, durationMs, minCompleted });
    return {
      completed: r.completed,
      errors: r.errors,
      firstError: r.firstError,
      wallSeconds: r.wallSeconds,
      elapsedSeconds: r.elapsedSeconds,
      latenciesMs: toMs(r.latenciesUs),
      clientCpu: r.clientCpuSeconds / r.elapsedSeconds,
    };
  }

  /** Open loop at `rate` calls per second for `durationMs`. */
  async open(conn: string, target: string, requestFile: string, rate: number, durationMs: number): Promise<OpenWindow> {
    const r = await this.send({ conn, target, request: requestFile, mode: 'open', rate, durationMs });
    return {
      rate,
      sent: r.sent ?? 0,
      completed: r.completed,
      errors: r.errors,
      firstError: r.firstError,
      wallSeconds: r.wallSeconds,
      elapsedSeconds: r.elapsedSeconds,
      latenciesMs: toMs(r.latenciesUs),
      serviceLatenciesMs: toMs(r.serviceLatenciesUs),
      maxSendLagMs: (r.maxSendLagUs ?? 0) / 1000,
      clientCpu: r.clientCpuSeconds / r.elapsedSeconds,
    };
  }

  async closeConn(conn: string): Promise<void> {
    await this.send({ conn, close: true });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
