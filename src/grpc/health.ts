/**
 * grpc.health.v1.Health (https://github.com/grpc/grpc/blob/master/doc/health-checking.md): what
 * the kubelet's gRPC probe and grpc_health_probe ask.
 */
import * as grpc from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

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
export class Health {
  private readonly statuses: Map<string, ServingStatus>;
  private closed = false;
  private readonly watchers = new Set<{
    readonly service: string;
    readonly call: grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>;
  }>();

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
        if (status === undefined)
          callback({ code: grpc.status.NOT_FOUND, details: `unknown service ${JSON.stringify(call.request.service)}` });
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
