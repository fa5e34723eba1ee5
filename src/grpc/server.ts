/**
 * The gRPC edge: FunctionRunnerService (v1 and v1beta1) with its error boundary, message-size
 * limits, binding and graceful drain, on @grpc/grpc-js; mutual TLS (./tls.ts) and the health
 * service (./health.ts) beside it. Nothing here knows what the function composes: it serves any
 * {@link Handler}.
 *
 * Built by hand rather than with the SDK's `serve()`, which serves only v1, accepts clients
 * without certificates, ignores TLS_SERVER_CERTS_DIR, falls back to plaintext on an empty certs
 * dir and exits 0 after a failed bind (README, "Running the function"). The SDK's generated
 * messages and serializers are reused as they are.
 */
import * as grpc from '@grpc/grpc-js';
import {
  FunctionRunnerServiceService,
  Ready,
  Severity,
  Status,
  type RunFunctionRequest,
  type RunFunctionResponse,
} from '@crossplane-org/function-sdk-typescript';
import type { Logger } from 'pino';
import { fatal } from '../response.js';
import { StartupError, describeError } from './errors.js';
import { HEALTH_SERVICE, Health } from './health.js';
import type { Metrics } from './metrics.js';
import { decodeRequest } from './request.js';
import { mtlsCredentials } from './tls.js';
import { encodeResponse } from './wire.js';

export { StartupError } from './errors.js';

/** Protobuf messages cannot exceed 2 GiB; gRPC limits are signed 32-bit. */
export const MAX_MSG_SIZE_LIMIT = 2 ** 31 - 1;

/** What answers RunFunction. It may throw only on a bug; the edge turns that into a Fatal result. */
export type Handler = (req: RunFunctionRequest) => RunFunctionResponse | Promise<RunFunctionResponse>;

/** Where and how to serve; src/config.ts parses it from the flags. */
export interface ServerConfig {
  /** As given, for messages: `host:port`, `[v6]:port` or `:port`. */
  readonly address: string;
  /** `''` is every interface. */
  readonly host: string;
  /** 0 asks the OS for a free port. */
  readonly port: number;
  /** Plaintext gRPC without mTLS; `tlsCertsDir` is then ignored. */
  readonly insecure: boolean;
  /** Holds tls.crt, tls.key and ca.crt; required unless `insecure`. */
  readonly tlsCertsDir?: string;
  /** The largest request accepted, in bytes. */
  readonly maxRecvMsgSize: number;
  /** The function's name, for the Fatal result of a handler that throws. Default: `the function`. */
  readonly name?: string;
}

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

/**
 * Crossplane 1.16 and older call only v1beta1 (apiextensions/fn/proto/v1beta1 in crossplane/crossplane);
 * newer releases call v1. The two
 * protos are wire-identical, so one handler serves both.
 */
export const RUNNER_SERVICES = [
  'apiextensions.fn.proto.v1.FunctionRunnerService',
  'apiextensions.fn.proto.v1beta1.FunctionRunnerService',
] as const;
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
function serverDefinition(
  service: RunnerService,
): grpc.ServiceDefinition<{ RunFunction: grpc.MethodDefinition<RunFunctionRequest, Buffer> }> {
  const sdk = FunctionRunnerServiceService.runFunction;
  return {
    RunFunction: {
      path: `/${service}/RunFunction`,
      requestStream: false,
      responseStream: false,
      requestSerialize: sdk.requestSerialize,
      // Our own decoder (./request.ts). A request that fails to decode never reaches the
      // handler: grpc-js answers INTERNAL ("Error deserializing request") and keeps serving.
      requestDeserialize: decodeRequest,
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
        void respond(call.request, handler, log, service, config.name ?? 'the function', metrics).then(
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
async function respond(
  req: RunFunctionRequest,
  handler: Handler,
  log: Logger,
  service: RunnerService,
  name: string,
  metrics?: Metrics,
): Promise<Buffer> {
  const start = performance.now();
  try {
    const res = await handler(req);
    const bytes = encodeResponse(res);
    const seconds = (performance.now() - start) / 1000;
    metrics?.observe(service, seconds, res, false);
    if (log.isLevelEnabled('debug')) log.debug(callSummary(req, res, service, seconds), 'RunFunction');
    return bytes;
  } catch (err) {
    log.error({ err, tag: req.meta?.tag ?? '', service, ...xrOf(req) }, 'RunFunction failed: replying with a Fatal result');
    const res = internalError(req, err, name);
    const seconds = (performance.now() - start) / 1000;
    metrics?.observe(service, seconds, res, true);
    if (log.isLevelEnabled('debug')) log.debug(callSummary(req, res, service, seconds), 'RunFunction');
    return encodeResponse(res);
  }
}

/** Which XR a call was about, as the request's observed composite names it (may be absent). */
function xrOf(req: RunFunctionRequest): { xr?: string; xrKind?: string; xrNamespace?: string } {
  const xr: Record<string, unknown> | undefined = req.observed?.composite?.resource;
  const meta = xr?.['metadata'];
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const name = typeof meta === 'object' && meta !== null ? str((meta as Record<string, unknown>)['name']) : undefined;
  const namespace = typeof meta === 'object' && meta !== null ? str((meta as Record<string, unknown>)['namespace']) : undefined;
  const kind = str(xr?.['kind']);
  return {
    ...(name === undefined ? {} : { xr: name }),
    ...(kind === undefined ? {} : { xrKind: kind }),
    ...(namespace === undefined ? {} : { xrNamespace: namespace }),
  };
}

const SEVERITY_WORDS: Readonly<Record<number, string>> = {
  [Severity.SEVERITY_FATAL]: 'Fatal',
  [Severity.SEVERITY_WARNING]: 'Warning',
  [Severity.SEVERITY_NORMAL]: 'Normal',
};
const STATUS_WORDS: Readonly<Record<number, string>> = {
  [Status.STATUS_CONDITION_TRUE]: 'True',
  [Status.STATUS_CONDITION_FALSE]: 'False',
  [Status.STATUS_CONDITION_UNKNOWN]: 'Unknown',
};

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

/** One Fatal result; the request's desired state and context go back unchanged. */
export function internalError(req: RunFunctionRequest, err: unknown, name: string): RunFunctionResponse {
  return fatal(
    req,
    'InternalError',
    `${name} failed unexpectedly (${describeError(err)}); this is a bug: the function's logs have the details`,
  );
}

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
