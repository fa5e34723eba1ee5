/**
 * The gRPC edge: FunctionRunnerService (v1 and v1beta1), the gRPC health service, mutual TLS,
 * message-size limits, binding and graceful drain, on @grpc/grpc-js.
 *
 * Built by hand rather than with the SDK's `serve()`, which serves only v1, accepts clients
 * without certificates, ignores TLS_SERVER_CERTS_DIR, falls back to plaintext on an empty certs
 * dir and exits 0 after a failed bind (TOOLCHAIN.md, "known gaps"). The SDK's generated
 * messages and serializers are reused as they are.
 */
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { FunctionRunnerServiceService, Ready, RunFunctionResponse, Severity, Status, type RunFunctionRequest } from '@crossplane-org/function-sdk-typescript';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { MAX_MSG_SIZE_LIMIT, type ServeConfig } from './config.js';
import type { Metrics } from './metrics.js';
import { encodeResponse } from './wire.js';
import { fatal } from './fn.js';

/** What answers RunFunction. It may throw only on a bug; the edge turns that into a Fatal result. */
export type Handler = (req: RunFunctionRequest) => RunFunctionResponse | Promise<RunFunctionResponse>;

/** The parts of {@link ServeConfig} the server reads. */
export type ServerConfig = Pick<ServeConfig, 'address' | 'host' | 'port' | 'insecure' | 'tlsCertsDir' | 'maxRecvMsgSize'>;

export interface RunningServer {
  /** The port actually bound: the configured one, or the one the OS chose for port 0. */
  readonly port: number;
  /**
   * Stop accepting calls and let in-flight ones finish; after `timeoutMs`, cut the connections
   * that are left. Health reports NOT_SERVING from the start. Calling it again returns the same
   * promise.
   * @returns `drained` when every call finished in time, `forced` when connections were cut.
   */
  drain(timeoutMs: number): Promise<'drained' | 'forced'>;
}

/** The server cannot start: no usable TLS material, or the address cannot be bound. One line. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

/**
 * Crossplane 1.16 and older call only v1beta1 (TOOLCHAIN.md); newer releases call v1. The two
 * protos are wire-identical, so one handler serves both.
 */
export const RUNNER_SERVICES = ['apiextensions.fn.proto.v1.FunctionRunnerService', 'apiextensions.fn.proto.v1beta1.FunctionRunnerService'] as const;
export type RunnerService = (typeof RUNNER_SERVICES)[number];

type RunFunctionMethod = grpc.MethodDefinition<RunFunctionRequest, RunFunctionResponse>;

/**
 * Client-side definitions of both services with the SDK's serializers (v1 is the SDK's own),
 * for `grpc.makeGenericClientConstructor` and tests.
 */
export const RUNNER_CLIENT_DEFINITIONS: Readonly<Record<RunnerService, { readonly runFunction: RunFunctionMethod }>> = {
  'apiextensions.fn.proto.v1.FunctionRunnerService': FunctionRunnerServiceService,
  'apiextensions.fn.proto.v1beta1.FunctionRunnerService': {
    runFunction: { ...FunctionRunnerServiceService.runFunction, path: '/apiextensions.fn.proto.v1beta1.FunctionRunnerService/RunFunction' },
  },
};

/**
 * The server-side definition of one service. The response is encoded inside the error boundary
 * (see {@link respond}) so that a response that cannot be encoded still becomes a Fatal result
 * rather than a bare gRPC INTERNAL; the registered serializer only passes the bytes through.
 */
function serverDefinition(service: RunnerService): grpc.ServiceDefinition<{ RunFunction: grpc.MethodDefinition<RunFunctionRequest, Buffer> }> {
  const sdk = FunctionRunnerServiceService.runFunction;
  return {
    RunFunction: {
      path: `/${service}/RunFunction`,
      requestStream: false,
      responseStream: false,
      requestSerialize: sdk.requestSerialize,
      // A request that fails to decode never reaches the handler: grpc-js answers INTERNAL
      // ("Error deserializing request") and keeps serving.
      requestDeserialize: sdk.requestDeserialize,
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    },
  };
}

export async function startServer(config: ServerConfig, handler: Handler, log: Logger, metrics?: Metrics): Promise<RunningServer> {
  const credentials = config.insecure ? grpc.ServerCredentials.createInsecure() : await mtlsCredentials(config.tlsCertsDir);

  const server = new grpc.Server({
    'grpc.max_receive_message_length': config.maxRecvMsgSize,
    'grpc.max_send_message_length': maxSendMessageSize(config.maxRecvMsgSize),
  });
  for (const service of RUNNER_SERVICES) {
    server.addService(serverDefinition(service), {
      RunFunction: (call: grpc.ServerUnaryCall<RunFunctionRequest, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        void respond(call.request, handler, log, service, metrics).then(
          (bytes) => callback(null, bytes),
          (err: unknown) => callback({ code: grpc.status.INTERNAL, details: `${service}/RunFunction: ${describeError(err)}` }),
        );
      },
    });
  }
  const health = new Health(['', ...RUNNER_SERVICES]);
  server.addService(HEALTH_SERVICE, health.implementation());

  let port: number;
  try {
    port = await bind(server, config, credentials);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }

  let draining: Promise<'drained' | 'forced'> | undefined;
  return {
    port,
    drain(timeoutMs: number): Promise<'drained' | 'forced'> {
      draining ??= new Promise((resolve) => {
        // Watch streams never end on their own; they would hold tryShutdown for the whole timeout.
        health.shutdown();
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve('forced');
        }, timeoutMs);
        // Closes the listeners and sends GOAWAY on every connection: calls already received run
        // to completion, new ones are refused (the client sees UNAVAILABLE and may retry).
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve('drained');
        });
      });
      return draining;
    },
  };
}

/**
 * A response carries the request's desired state and context back plus what this step adds, so it
 * can be somewhat larger than the request but never unboundedly so: twice the receive limit.
 */
export function maxSendMessageSize(maxRecvMsgSize: number): number {
  return Math.min(2 * maxRecvMsgSize, MAX_MSG_SIZE_LIMIT);
}

/** The error boundary: whatever the handler does, the caller gets an encoded RunFunctionResponse. */
async function respond(req: RunFunctionRequest, handler: Handler, log: Logger, service: RunnerService, metrics?: Metrics): Promise<Buffer> {
  const start = performance.now();
  try {
    const res = await handler(req);
    const bytes = encode(res);
    const seconds = (performance.now() - start) / 1000;
    metrics?.observe(service, seconds, res, false);
    if (log.isLevelEnabled('debug')) log.debug(callSummary(req, res, service, seconds), 'RunFunction');
    return bytes;
  } catch (err) {
    log.error({ err, tag: req.meta?.tag ?? '', service, ...xrOf(req) }, 'RunFunction failed: replying with a Fatal result');
    const res = internalError(req, err);
    const seconds = (performance.now() - start) / 1000;
    metrics?.observe(service, seconds, res, true);
    if (log.isLevelEnabled('debug')) log.debug(callSummary(req, res, service, seconds), 'RunFunction');
    return encode(res);
  }
}

/** Which XR a call was about, as the request's observed composite names it (may be absent). */
function xrOf(req: RunFunctionRequest): { xr?: string; xrKind?: string; xrNamespace?: string } {
  const xr = req.observed?.composite?.resource;
  const meta = xr?.['metadata'];
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = typeof meta === 'object' && meta !== null ? str((meta as Record<string, unknown>)['name']) : undefined;
  const namespace = typeof meta === 'object' && meta !== null ? str((meta as Record<string, unknown>)['namespace']) : undefined;
  const kind = str(xr?.['kind']);
  return { ...(name === undefined ? {} : { xr: name }), ...(kind === undefined ? {} : { xrKind: kind }), ...(namespace === undefined ? {} : { xrNamespace: namespace }) };
}

const SEVERITY_WORDS: Readonly<Record<number, string>> = { [Severity.SEVERITY_FATAL]: 'Fatal', [Severity.SEVERITY_WARNING]: 'Warning', [Severity.SEVERITY_NORMAL]: 'Normal' };
const STATUS_WORDS: Readonly<Record<number, string>> = { [Status.STATUS_CONDITION_TRUE]: 'True', [Status.STATUS_CONDITION_FALSE]: 'False', [Status.STATUS_CONDITION_UNKNOWN]: 'Unknown' };

/**
 * The one debug line per call (--debug): which XR, what came back and how long it took, so an
 * operator can follow a tenant through the logs without decoding gRPC. Every field is stable
 * except durationMs; nothing from the XR's spec is logged.
 */
function callSummary(req: RunFunctionRequest, res: RunFunctionResponse, service: RunnerService, seconds: number): Record<string, unknown> {
  const resources = Object.entries(res.desired?.resources ?? {});
  const results = res.results.map((r) => `${SEVERITY_WORDS[r.severity] ?? 'Unspecified'}:${r.reason ?? ''}`);
  return {
    service,
    tag: req.meta?.tag ?? '',
    ...xrOf(req),
    resources: resources.length,
    ready: resources.filter(([, r]) => r.ready === Ready.READY_TRUE).length,
    results,
    conditions: res.conditions.map((c) => `${c.type}=${STATUS_WORDS[c.status] ?? 'Unspecified'}:${c.reason}`),
    ttlSeconds: res.meta?.ttl?.seconds ?? 0,
    durationMs: Math.round(seconds * 1e6) / 1e3,
  };
}

function encode(res: RunFunctionResponse): Buffer {
  const bytes = encodeResponse(res);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** One Fatal result; the request's desired state and context go back unchanged. */
export function internalError(req: RunFunctionRequest, err: unknown): RunFunctionResponse {
  return fatal(
    req,
    req.desired ?? { composite: undefined, resources: {} },
    'InternalError',
    `function-plana-tenant failed unexpectedly (${describeError(err)}); this is a bug: the function's logs have the details`,
  );
}

const MAX_ERROR_TEXT = 200;

/**
 * The error's class and the first line of its message, capped. Never the thrown value itself when
 * it is not an Error: it could be anything from the request, credentials included.
 */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return `a thrown ${err === null ? 'null' : typeof err}`;
  const text = `${err.name}: ${err.message.split('\n', 1)[0] ?? ''}`;
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}…` : text;
}

// --- TLS ---------------------------------------------------------------------------------------

/** The file names Crossplane's function runtime mounts from the function's TLS Secret. */
export const TLS_FILES = { cert: 'tls.crt', key: 'tls.key', ca: 'ca.crt' } as const;

/**
 * Mutual TLS as Crossplane's Go SDK does it (tls.RequireAndVerifyClientCert): the server presents
 * tls.crt/tls.key, and every client must present a certificate that chains to ca.crt and is
 * valid now. Nothing falls back to plaintext.
 */
async function mtlsCredentials(dir: string | undefined): Promise<grpc.ServerCredentials> {
  if (dir === undefined) {
    throw new StartupError(
      `no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding ${TLS_FILES.cert}, ${TLS_FILES.key} and ${TLS_FILES.ca}, or pass --insecure to serve plaintext without mTLS`,
    );
  }
  const names = [TLS_FILES.cert, TLS_FILES.key, TLS_FILES.ca] as const;
  const read = await Promise.allSettled(names.map((name) => readFile(join(dir, name))));
  const problems = read.flatMap((r, i) => {
    const file = join(dir, names[i] ?? '');
    if (r.status === 'rejected') return [`${file}: ${(r.reason as NodeJS.ErrnoException).code ?? describeError(r.reason)}`];
    return r.value.length === 0 ? [`${file}: empty`] : [];
  });
  if (problems.length > 0) throw new StartupError(`cannot read TLS certificates (${problems.join('; ')}); or pass --insecure to serve plaintext without mTLS`);
  const [cert, key, ca] = read.map((r) => (r.status === 'fulfilled' ? r.value : Buffer.alloc(0))) as [Buffer, Buffer, Buffer];

  // grpc-js only builds the TLS context at bind time, with a vague error; check each piece here so
  // the message names the file.
  const check = (file: string, fn: () => unknown): void => {
    try {
      fn();
    } catch (err) {
      throw new StartupError(`${join(dir, file)} is not usable: ${describeError(err)}`);
    }
  };
  check(TLS_FILES.cert, () => new X509Certificate(cert));
  check(TLS_FILES.key, () => createPrivateKey(key));
  check(TLS_FILES.ca, () => new X509Certificate(ca));
  check(TLS_FILES.key, () => createSecureContext({ cert, key, ca })); // the key must match the certificate

  return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true);
}

// --- binding -----------------------------------------------------------------------------------

/**
 * `:PORT` means every interface, as in Go. grpc-js cannot bind an empty host, so try the IPv6
 * wildcard first (Node listens dual-stack on `::`) and fall back to IPv4 where IPv6 is disabled.
 */
function bindTargets(host: string, port: number): string[] {
  if (host === '') return [`[::]:${port}`, `0.0.0.0:${port}`];
  return host.includes(':') ? [`[${host}]:${port}`] : [`${host}:${port}`];
}

async function bind(server: grpc.Server, config: ServerConfig, credentials: grpc.ServerCredentials): Promise<number> {
  const failures: string[] = [];
  for (const target of bindTargets(config.host, config.port)) {
    try {
      return await new Promise<number>((resolve, reject) => {
        server.bindAsync(target, credentials, (err, port) => (err ? reject(err) : resolve(port)));
      });
    } catch (err) {
      failures.push(`${target}: ${describeError(err)}`);
    }
  }
  throw new StartupError(`cannot listen on ${JSON.stringify(config.address)}: ${failures.join('; ')}`);
}

// --- grpc.health.v1.Health ---------------------------------------------------------------------

/** grpc/health/v1/health.proto, HealthCheckResponse.ServingStatus. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export type ServingStatus = (typeof ServingStatus)[keyof typeof ServingStatus];

export interface HealthCheckRequest {
  readonly service: string;
}
export interface HealthCheckResponse {
  readonly status: ServingStatus;
}

// Two one-field messages: hand-written wire code instead of a generated module or a dependency.
function encodeHealthRequest(req: HealthCheckRequest): Buffer {
  const w = new BinaryWriter();
  if (req.service !== '') w.tag(1, WireType.LengthDelimited).string(req.service);
  return Buffer.from(w.finish());
}
function decodeHealthRequest(bytes: Buffer): HealthCheckRequest {
  const r = new BinaryReader(bytes);
  let service = '';
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) service = r.string();
    else r.skip(wireType, field);
  }
  return { service };
}
function encodeHealthResponse(res: HealthCheckResponse): Buffer {
  const w = new BinaryWriter();
  if (res.status !== ServingStatus.UNKNOWN) w.tag(1, WireType.Varint).int32(res.status);
  return Buffer.from(w.finish());
}
function decodeHealthResponse(bytes: Buffer): HealthCheckResponse {
  const r = new BinaryReader(bytes);
  let status = 0;
  while (r.pos < r.len) {
    const [field, wireType] = r.tag();
    if (field === 1 && wireType === WireType.Varint) status = r.int32();
    else r.skip(wireType, field);
  }
  return { status: (Object.values(ServingStatus) as number[]).includes(status) ? (status as ServingStatus) : ServingStatus.UNKNOWN };
}

const healthMethod = {
  requestStream: false,
  requestSerialize: encodeHealthRequest,
  requestDeserialize: decodeHealthRequest,
  responseSerialize: encodeHealthResponse,
  responseDeserialize: decodeHealthResponse,
} as const;

/** grpc.health.v1.Health, for the server and for clients (kubelet's gRPC probe, grpc_health_probe, tests). */
export const HEALTH_SERVICE = {
  Check: { path: '/grpc.health.v1.Health/Check', responseStream: false, ...healthMethod },
  Watch: { path: '/grpc.health.v1.Health/Watch', responseStream: true, ...healthMethod },
} satisfies grpc.ServiceDefinition;

/** SERVING for "" and both runner services until the drain starts, NOT_SERVING after. */
class Health {
  private readonly statuses: Map<string, ServingStatus>;
  private closed = false;
  private readonly watchers = new Set<{ readonly service: string; readonly call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse> }>();

  constructor(services: readonly string[]) {
    this.statuses = new Map(services.map((s) => [s, ServingStatus.SERVING]));
  }

  /** Reports NOT_SERVING to every watcher, then ends the streams. */
  shutdown(): void {
    this.closed = true;
    for (const service of this.statuses.keys()) this.statuses.set(service, ServingStatus.NOT_SERVING);
    for (const watcher of this.watchers) {
      watcher.call.write({ status: this.status(watcher.service) });
      watcher.call.end();
    }
    this.watchers.clear();
  }

  private status(service: string): ServingStatus {
    return this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
  }

  implementation(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, callback: grpc.sendUnaryData<HealthCheckResponse>) => {
        const status = this.statuses.get(call.request.service);
        // health.proto: an unknown service is NOT_FOUND for Check, SERVICE_UNKNOWN for Watch.
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
        else callback(null, { status });
      },
      Watch: (call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>) => {
        const watcher = { service: call.request.service, call };
        call.write({ status: this.status(watcher.service) });
        if (this.closed) {
          call.end();
          return;
        }
        this.watchers.add(watcher);
        call.on('cancelled', () => this.watchers.delete(watcher));
      },
    };
  }
}
