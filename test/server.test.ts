/**
 * The gRPC edge, end to end: real servers on loopback, real grpc-js clients, real certificates
 * made with the openssl CLI, and the built binary as a child process for the lifecycle.
 * Whole responses are compared; no timing is asserted (these run on loaded 2-core machines).
 */
import * as grpc from '@grpc/grpc-js';
import { RunFunctionRequest, RunFunctionResponse, Severity, Target } from '@crossplane-org/function-sdk-typescript';
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { newLogger } from '../src/logger.js';
import { HEALTH_SERVICE, ServingStatus, type HealthCheckResponse } from '../src/grpc/health.js';
import {
  RUNNER_CLIENT_DEFINITIONS,
  StartupError,
  startServer,
  type Handler,
  type RunningServer,
  type ServerConfig,
} from '../src/grpc/server.js';

const V1 = 'apiextensions.fn.proto.v1.FunctionRunnerService';
const V1BETA1 = 'apiextensions.fn.proto.v1beta1.FunctionRunnerService';
const MiB = 1024 * 1024;
const NOW = new Date('2026-03-01T12:00:00Z');
const CALL_DEADLINE_MS = 30_000;
/** For tests that spawn processes or run openssl: generous, for loaded 2-core machines. */
const SLOW_MS = 90_000;

const XR = {
  apiVersion: 'planapulse.com/v1alpha1',
  kind: 'PLANAClient',
  metadata: { name: 'acme' },
  spec: { subdomain: 'acme', projectId: 23, tier: 'pro', odooVersion: '18', ownerEmail: 'ceo@acme.bg', ownerName: 'Acme Corp' },
};

function request(tag: string, extra: { padding?: number } = {}): RunFunctionRequest {
  return RunFunctionRequest.fromPartial({
    meta: { tag },
    observed: {
      composite: { resource: XR },
      // Something the function never reads, to make a request of a given size.
      resources: extra.padding === undefined ? {} : { padding: { resource: { data: 'x'.repeat(extra.padding) } } },
    },
    desired: { resources: {} },
  });
}

// --- logging -------------------------------------------------------------------------------------

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [key: string]: unknown;
}

function capturingLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = newLogger(true, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { log, lines };
}

const fnHandler: Handler = (req) => runFunction(req, { now: () => NOW });

// --- clients -------------------------------------------------------------------------------------

interface Outcome<T> {
  readonly err: grpc.ServiceError | null;
  readonly res: T | undefined;
}

function unary<Req, Res>(client: grpc.Client, method: grpc.MethodDefinition<Req, Res>, req: Req): Promise<Outcome<Res>> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      req,
      new grpc.Metadata(),
      { deadline: Date.now() + CALL_DEADLINE_MS },
      (err, res) => resolve({ err, res }),
    );
  });
}

const runOn = (client: grpc.Client, service: typeof V1 | typeof V1BETA1, req: RunFunctionRequest): Promise<Outcome<RunFunctionResponse>> =>
  unary(client, RUNNER_CLIENT_DEFINITIONS[service].runFunction, req);

const check = (client: grpc.Client, service: string): Promise<Outcome<HealthCheckResponse>> =>
  unary(client, HEALTH_SERVICE.Check, { service });

const clients: grpc.Client[] = [];
function client(port: number, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): grpc.Client {
  const c = new grpc.Client(`127.0.0.1:${port}`, credentials, options);
  clients.push(c);
  return c;
}

// --- servers -------------------------------------------------------------------------------------

const INSECURE: ServerConfig = {
  address: '127.0.0.1:0',
  host: '127.0.0.1',
  port: 0,
  insecure: true,
  maxRecvMsgSize: 4 * MiB,
  name: 'function-plana-tenant',
};

const running: RunningServer[] = [];
async function serve(config: Partial<ServerConfig>, handler?: Handler, log = capturingLogger().log): Promise<RunningServer> {
  const server = await startServer({ ...INSECURE, ...config }, handler ?? fnHandler, log);
  running.push(server);
  return server;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(running.splice(0).map((s) => s.drain(0)));
});

/** What the function itself answers, through the same encode/decode the wire applies. */
function expected(req: RunFunctionRequest): RunFunctionResponse {
  const res = runFunction(RunFunctionRequest.decode(RunFunctionRequest.encode(req).finish()), { now: () => NOW });
  return RunFunctionResponse.decode(RunFunctionResponse.encode(res).finish());
}

// --- certificates --------------------------------------------------------------------------------

const tmp = mkdtempSync(join(tmpdir(), 'fn-plana-tenant-test-'));
/** What Crossplane mounts for the function: tls.crt, tls.key, ca.crt. */
const serverDir = join(tmp, 'server');
const clientDir = join(tmp, 'client');

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: tmp, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A P-256 key and a certificate for it, signed by `ca` (or self-signed when `ca` is undefined). */
function issue(name: string, subject: string, ext: string, ca: string | undefined, days: number): void {
  const extFile = join(tmp, `${name}.ext`);
  writeFileSync(extFile, `${ext}\n`);
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  );
  const signer =
    ca === undefined
      ? ['-signkey', `${name}.key`]
      : ['-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(Date.now() + Math.floor(Math.random() * 1e6))];
  // -days -1 makes a certificate that expired a day ago (notAfter before notBefore and now).
  openssl('x509', '-req', '-in', `${name}.csr`, ...signer, '-days', String(days), '-extfile', extFile, '-out', `${name}.crt`);
}

const read = (name: string): Buffer => readFileSync(join(tmp, name));

function clientCredentials(identity: 'client' | 'foreign-client' | 'expired-client' | undefined): grpc.ChannelCredentials {
  const ca = read('ca.crt');
  return identity === undefined
    ? grpc.credentials.createSsl(ca)
    : grpc.credentials.createSsl(ca, read(`${identity}.key`), read(`${identity}.crt`));
}

beforeAll(() => {
  const caExt = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign';
  issue('ca', '/CN=test function CA', caExt, undefined, 2);
  issue('other-ca', '/CN=some other CA', caExt, undefined, 2);
  issue('server', '/CN=function-plana-tenant', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth', 'ca', 2);
  const clientExt = 'extendedKeyUsage=clientAuth';
  issue('client', '/CN=crossplane', clientExt, 'ca', 2);
  issue('foreign-client', '/CN=crossplane', clientExt, 'other-ca', 2);
  issue('expired-client', '/CN=crossplane', clientExt, 'ca', -1);
  mkdirSync(serverDir);
  mkdirSync(clientDir);
  copyFileSync(join(tmp, 'server.crt'), join(serverDir, 'tls.crt'));
  copyFileSync(join(tmp, 'server.key'), join(serverDir, 'tls.key'));
  copyFileSync(join(tmp, 'ca.crt'), join(serverDir, 'ca.crt'));
}, SLOW_MS);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// --- RunFunction ---------------------------------------------------------------------------------

describe('RunFunction', () => {
  it('answers on v1 and v1beta1 with the same whole response: the route, backup and filestore Job', async () => {
    const server = await serve({});
    const c = client(server.port);
    const req = request('tag-1');

    const v1 = await runOn(c, V1, req);
    const v1beta1 = await runOn(c, V1BETA1, req);

    expect(v1.err).toBeNull();
    expect(v1beta1.err).toBeNull();
    expect(v1.res).toStrictEqual(expected(req));
    expect(v1beta1.res).toStrictEqual(v1.res);

    const resources = v1.res?.desired?.resources ?? {};
    const names = Object.keys(resources).sort();
    expect(names).toHaveLength(3);
    expect(names[0]).toMatch(/^backup-[0-9a-f]{8}$/);
    expect(names[1]).toMatch(/^filestore-[0-9a-f]{8}$/);
    expect(names[2]).toMatch(/^route-[0-9a-f]{8}$/);
    const kind = (name: string): unknown => {
      const r = resources[name]?.resource;
      return { apiVersion: r?.['apiVersion'], kind: r?.['kind'] };
    };
    expect(kind(names[2] ?? '')).toStrictEqual({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' });
    expect(kind(names[0] ?? '')).toStrictEqual({ apiVersion: 'batch/v1', kind: 'CronJob' });
    expect(kind(names[1] ?? '')).toStrictEqual({ apiVersion: 'batch/v1', kind: 'Job' });
    expect(v1.res?.meta?.tag).toBe('tag-1');
    expect(v1.res?.results.filter((r) => r.severity === Severity.SEVERITY_FATAL)).toStrictEqual([]);
  });

  const earlier = RunFunctionRequest.fromPartial({
    meta: { tag: 'tag-boom' },
    observed: { composite: { resource: XR } },
    desired: {
      composite: { resource: { apiVersion: XR.apiVersion, kind: XR.kind, status: { fromEarlierStep: true } } },
      resources: { 'earlier-step': { resource: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kept' } } } },
    },
    context: { 'apiextensions.crossplane.io/environment': { region: 'eu' } },
  });

  const fatalResponse = (message: string): RunFunctionResponse => ({
    meta: { tag: 'tag-boom', ttl: undefined },
    desired: earlier.desired,
    output: undefined,
    results: [{ severity: Severity.SEVERITY_FATAL, reason: 'InternalError', message, target: Target.TARGET_COMPOSITE }],
    context: earlier.context,
    requirements: undefined,
    conditions: [],
  });

  it.each<{ reason: string; fail: Handler; message: string }>([
    {
      reason: 'a handler that throws',
      fail: () => {
        throw new TypeError("Cannot read properties of undefined (reading 'spec')\n    at somewhere");
      },
      message:
        "function-plana-tenant failed unexpectedly (TypeError: Cannot read properties of undefined (reading 'spec')); this is a bug: the function's logs have the details",
    },
    {
      reason: 'a handler that rejects',
      fail: () => Promise.reject(new RangeError('out of range')),
      message: "function-plana-tenant failed unexpectedly (RangeError: out of range); this is a bug: the function's logs have the details",
    },
    {
      reason: 'a thrown non-Error, whose value is never echoed',
      fail: () => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error -- the boundary must cope with it
        throw 'password=hunter2';
      },
      message: "function-plana-tenant failed unexpectedly (a thrown string); this is a bug: the function's logs have the details",
    },
    {
      reason: 'a response that cannot be encoded',
      fail: (req) => ({
        ...expected(req),
        desired: { composite: undefined, resources: { bad: { resource: { n: 1n }, connectionDetails: {}, ready: 0 } } },
      }),
      message:
        "function-plana-tenant failed unexpectedly (UnsafeValueError: desired.resources.bad.n: a bigint cannot be sent to Crossplane); this is a bug: the function's logs have the details",
    },
  ])(
    'turns $reason into one Fatal InternalError result, desired state and context unchanged, and keeps serving',
    async ({ fail, message }) => {
      const { log, lines } = capturingLogger();
      let calls = 0;
      const server = await serve({}, (req) => (++calls === 1 ? fail(req) : fnHandler(req)), log);
      const c = client(server.port);

      const first = await runOn(c, V1, earlier);
      expect(first.err).toBeNull();
      expect(first.res).toStrictEqual(fatalResponse(message));
      expect(message).not.toContain('hunter2');

      const errors = lines.filter((l) => l.level === 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({
        msg: 'RunFunction failed: replying with a Fatal result',
        tag: 'tag-boom',
        service: V1,
        fn: 'function-plana-tenant',
      });

      const second = await runOn(c, V1BETA1, request('tag-2'));
      expect(second.err).toBeNull();
      expect(second.res).toStrictEqual(expected(request('tag-2')));
    },
  );

  it.each<{ reason: string; bytes: () => Buffer }>([
    // 0xff… is a varint tag that overflows 32 bits: no protobuf decoder accepts it.
    { reason: 'bytes that are not a RunFunctionRequest', bytes: () => Buffer.alloc(16, 0xff) },
    {
      reason: 'a request cut in half',
      bytes: () => {
        const b = Buffer.from(RunFunctionRequest.encode(request('cut')).finish());
        return b.subarray(0, Math.floor(b.length / 2));
      },
    },
    { reason: 'a length prefix longer than the message', bytes: () => Buffer.from([0x12, 0x7f, 0x0a, 0x01]) },
    { reason: 'a field with an unknown wire type', bytes: () => Buffer.from([0x0f, 0x01]) },
  ])('refuses $reason with INTERNAL, and keeps serving', async ({ bytes }) => {
    const server = await serve({});
    const c = client(server.port);
    const raw = (b: Buffer): Buffer => b;
    const bad = await unary(
      c,
      {
        path: `/${V1}/RunFunction`,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
      bytes(),
    );
    expect(bad.res).toBeUndefined();
    expect(bad.err?.code).toBe(grpc.status.INTERNAL);
    expect(bad.err?.details).toMatch(/^Error deserializing request: /);
    const next = await runOn(c, V1, request('after-bad-bytes'));
    expect(next.err).toBeNull();
    expect(next.res?.meta?.tag).toBe('after-bad-bytes');
  });

  it('answers an empty request (zero bytes) with one Fatal naming the missing XR, not a transport error', async () => {
    const server = await serve({});
    const c = client(server.port);
    const raw = (b: Buffer): Buffer => b;
    const empty = await unary(
      c,
      {
        path: `/${V1}/RunFunction`,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
      Buffer.alloc(0),
    );
    expect(empty.err).toBeNull();
    expect(RunFunctionResponse.decode(empty.res!).results).toEqual([
      {
        severity: Severity.SEVERITY_FATAL,
        reason: 'InvalidSpec',
        message: 'observed.composite: is required and must be the PLANAClient XR',
        target: Target.TARGET_COMPOSITE,
      },
    ]);
  });

  it('refuses a request over the default 4 MiB limit with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    const server = await serve({});
    const c = client(server.port);
    const big = await runOn(c, V1, request('big', { padding: 5 * MiB }));
    expect(big.res).toBeUndefined();
    expect(big.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);

    const small = await runOn(c, V1, request('small', { padding: 3 * MiB }));
    expect(small.err).toBeNull();
    expect(small.res).toStrictEqual(expected(request('small', { padding: 3 * MiB })));
  });

  it('accepts a 6 MiB request under a raised 8 MiB limit, and still refuses 9 MiB', async () => {
    const server = await serve({ maxRecvMsgSize: 8 * MiB });
    const c = client(server.port);
    const six = await runOn(c, V1, request('six', { padding: 6 * MiB }));
    expect(six.err).toBeNull();
    expect(six.res).toStrictEqual(expected(request('six', { padding: 6 * MiB })));

    const nine = await runOn(c, V1, request('nine', { padding: 9 * MiB }));
    expect(nine.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });
});

// --- health --------------------------------------------------------------------------------------

describe('grpc.health.v1.Health', () => {
  it.each(['', V1, V1BETA1])('Check(%j) is SERVING', async (service) => {
    const server = await serve({});
    const res = await check(client(server.port), service);
    expect(res.err).toBeNull();
    expect(res.res).toStrictEqual({ status: ServingStatus.SERVING });
  });

  it('Check of an unknown service is NOT_FOUND', async () => {
    const server = await serve({});
    const res = await check(client(server.port), 'grpc.reflection.v1.ServerReflection');
    expect(res.err?.code).toBe(grpc.status.NOT_FOUND);
  });

  it('Watch reports SERVING, then NOT_SERVING when the drain starts, and the stream ends so the drain need not wait', async () => {
    const server = await serve({});
    const c = client(server.port);
    const seen: number[] = [];
    const stream = c.makeServerStreamRequest(
      HEALTH_SERVICE.Watch.path,
      HEALTH_SERVICE.Watch.requestSerialize,
      HEALTH_SERVICE.Watch.responseDeserialize,
      { service: V1 },
    );
    const ended = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    const first = new Promise<void>((resolve) =>
      stream.on('data', (res: HealthCheckResponse) => {
        seen.push(res.status);
        resolve();
      }),
    );
    await first;
    expect(seen).toStrictEqual([ServingStatus.SERVING]);

    // A drain timeout far beyond the test timeout: only a stream that really ends lets it finish.
    const outcome = await server.drain(10 * 60_000);
    expect(outcome).toBe('drained');
    expect((await ended).code).toBe(grpc.status.OK);
    expect(seen).toStrictEqual([ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
  });
});

// --- drain ---------------------------------------------------------------------------------------

describe('drain', () => {
  it('lets in-flight calls finish, refuses new ones with UNAVAILABLE, and reports drained', async () => {
    let entered = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const server = await serve({}, async (req) => {
      entered++;
      await gate;
      return fnHandler(req);
    });
    const c = client(server.port);
    const inFlight = Array.from({ length: 20 }, (_, i) => runOn(c, V1, request(`slow-${i}`)));
    await until(() => entered === 20);

    const drained = server.drain(CALL_DEADLINE_MS);
    const late = await runOn(client(server.port), V1, request('late'));
    expect(late.err?.code).toBe(grpc.status.UNAVAILABLE);
    expect(entered).toBe(20);

    release();
    const done = await Promise.all(inFlight);
    expect(done.map((d) => d.err)).toStrictEqual(Array(20).fill(null));
    expect(done.map((d) => d.res?.meta?.tag)).toStrictEqual(Array.from({ length: 20 }, (_, i) => `slow-${i}`));
    expect(await drained).toBe('drained');
  });

  it('cuts calls still running at the timeout (the client sees CANCELLED) and reports forced', async () => {
    let entered = false;
    const server = await serve({}, () => {
      entered = true;
      return new Promise<RunFunctionResponse>(() => undefined); // never answers
    });
    const hung = runOn(client(server.port), V1, request('hung'));
    await until(() => entered);
    expect(await server.drain(100)).toBe('forced');
    const res = await hung;
    expect(res.res).toBeUndefined();
    // grpc-js's forceShutdown resets the streams with NGHTTP2_CANCEL.
    expect(res.err?.code).toBe(grpc.status.CANCELLED);
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(condition()).toBe(true);
}

// --- start-up failures ---------------------------------------------------------------------------

describe('startServer refuses to start', () => {
  const refusal = async (config: Partial<ServerConfig>): Promise<StartupError> => {
    const err: unknown = await startServer({ ...INSECURE, ...config }, fnHandler, capturingLogger().log).then(
      (s) => {
        running.push(s);
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StartupError);
    return err as StartupError;
  };

  it('without --insecure and without a certificates directory', async () => {
    expect((await refusal({ insecure: false })).message).toBe(
      'no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding tls.crt, tls.key and ca.crt, or pass --insecure to serve plaintext without mTLS',
    );
  });

  it('when ca.crt is missing from the directory', async () => {
    const dir = join(tmp, 'no-ca');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(serverDir, 'tls.crt'), join(dir, 'tls.crt'));
    copyFileSync(join(serverDir, 'tls.key'), join(dir, 'tls.key'));
    expect((await refusal({ insecure: false, tlsCertsDir: dir })).message).toBe(
      `cannot read TLS certificates (${join(dir, 'ca.crt')}: ENOENT); or pass --insecure to serve plaintext without mTLS`,
    );
  });

  it('when tls.key does not belong to tls.crt', async () => {
    const dir = join(tmp, 'mismatch');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(serverDir, 'tls.crt'), join(dir, 'tls.crt'));
    copyFileSync(join(tmp, 'client.key'), join(dir, 'tls.key'));
    copyFileSync(join(serverDir, 'ca.crt'), join(dir, 'ca.crt'));
    expect((await refusal({ insecure: false, tlsCertsDir: dir })).message).toMatch(
      new RegExp(`^${join(dir, 'tls.key')} is not usable: Error: .*key values mismatch`),
    );
  });

  it('when the port is taken', async () => {
    const taken = await occupyPort();
    try {
      const err = await refusal({ address: `127.0.0.1:${taken.port}`, port: taken.port });
      expect(err.message).toMatch(new RegExp(`^cannot listen on "127.0.0.1:${taken.port}": 127.0.0.1:${taken.port}: .*EADDRINUSE`));
    } finally {
      taken.server.close();
    }
  });

  it('when the host does not resolve', async () => {
    const err = await refusal({ address: 'no-such-host.invalid:0', host: 'no-such-host.invalid' });
    expect(err.message).toMatch(/^cannot listen on "no-such-host.invalid:0": no-such-host.invalid:0: /);
  });
});

function occupyPort(): Promise<{ server: NetServer; port: number }> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : -1 });
    });
  });
}

// --- mutual TLS ----------------------------------------------------------------------------------

describe('mutual TLS', () => {
  const mtls = (): Promise<RunningServer> => serve({ insecure: false, tlsCertsDir: serverDir });

  it('has test certificates that differ only where intended (openssl verify against the CA)', () => {
    const verify = (name: string): string => {
      try {
        return execFileSync('openssl', ['verify', '-CAfile', 'ca.crt', `${name}.crt`], {
          cwd: tmp,
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        }).trim();
      } catch (err) {
        const { stdout, stderr } = err as { stdout?: unknown; stderr?: unknown };
        const text = (v: unknown): string => (typeof v === 'string' || Buffer.isBuffer(v) ? v.toString() : '');
        return `${text(stdout)}${text(stderr)}`.trim(); // openssl says why on stderr
      }
    };
    expect(verify('client')).toBe('client.crt: OK');
    expect(verify('server')).toBe('server.crt: OK');
    expect(verify('expired-client')).toMatch(/certificate has expired/);
    expect(verify('foreign-client')).toMatch(/unable to get local issuer certificate/);
  });

  it('serves a client whose certificate the CA signed, on both services and health', async () => {
    const server = await mtls();
    const c = client(server.port, clientCredentials('client'));
    const req = request('mtls');
    const v1 = await runOn(c, V1, req);
    expect(v1.err).toBeNull();
    expect(v1.res).toStrictEqual(expected(req));
    expect((await runOn(c, V1BETA1, req)).res).toStrictEqual(expected(req));
    expect((await check(c, '')).res).toStrictEqual({ status: ServingStatus.SERVING });
  });

  it.each<{ reason: string; credentials: () => grpc.ChannelCredentials }>([
    { reason: 'a client without a certificate', credentials: () => clientCredentials(undefined) },
    { reason: 'a certificate from another CA', credentials: () => clientCredentials('foreign-client') },
    { reason: 'an expired certificate from the right CA', credentials: () => clientCredentials('expired-client') },
    { reason: 'a plaintext client', credentials: () => grpc.credentials.createInsecure() },
  ])('refuses $reason with UNAVAILABLE, and still serves a good client after', async ({ credentials }) => {
    const server = await mtls();
    const refused = await runOn(client(server.port, credentials()), V1, request('refused'));
    expect(refused.res).toBeUndefined();
    expect(refused.err?.code).toBe(grpc.status.UNAVAILABLE);

    const good = await runOn(client(server.port, clientCredentials('client')), V1, request('good'));
    expect(good.err).toBeNull();
    expect(good.res?.meta?.tag).toBe('good');
  });
});

// --- the built binary ----------------------------------------------------------------------------

// The shipped artifact: the bundle the image runs (scripts/bundle.mjs).
const MAIN = fileURLToPath(new URL('../dist/function.mjs', import.meta.url));
const SOURCES = ['main', 'grpc/server', 'config', 'logger'].map((f) => fileURLToPath(new URL(`../src/${f}.ts`, import.meta.url)));

interface Child {
  readonly lines: LogLine[];
  /** stdout lines that are not JSON (only --help writes any). */
  readonly text: string[];
  readonly stderr: () => string;
  /** Resolves with the bound port once the "serving" line is logged. */
  readonly serving: Promise<number>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly kill: (signal: NodeJS.Signals) => void;
}

const children: Array<{ kill: (signal: NodeJS.Signals) => void }> = [];

function launch(args: string[], env: NodeJS.ProcessEnv = {}): Child {
  const base = { ...process.env };
  delete base['TLS_SERVER_CERTS_DIR'];
  const proc = spawn(process.execPath, [MAIN, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const text: string[] = [];
  let out = '';
  let err = '';
  let onServing: (port: number) => void = () => undefined;
  const serving = new Promise<number>((resolve) => (onServing = resolve));
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    let nl: number;
    while ((nl = out.indexOf('\n')) >= 0) {
      const raw = out.slice(0, nl);
      out = out.slice(nl + 1);
      if (!raw.startsWith('{')) {
        text.push(raw);
        continue;
      }
      const line = JSON.parse(raw) as LogLine;
      lines.push(line);
      if (line.msg === 'serving') onServing(line['port'] as number);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const kill = (signal: NodeJS.Signals): void => void proc.kill(signal);
  children.push({ kill });
  return { lines, text, stderr: () => err, serving, exit, kill };
}

describe('the built binary', { timeout: SLOW_MS }, () => {
  beforeAll(() => {
    // Lifecycle tests run dist/; `npm test` builds first. Refuse to test stale output.
    const built = statSync(MAIN, { throwIfNoEntry: false });
    expect(built, 'dist/function.mjs is missing: run `npm run build` first').toBeDefined();
    for (const src of SOURCES) {
      expect(statSync(src).mtimeMs <= (built?.mtimeMs ?? 0) + 1000, `${src} is newer than dist: run \`npm run build\` first`).toBe(true);
    }
  });

  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  it('prints usage and exits 0 with --help', async () => {
    const child = launch(['--help']);
    expect(await child.exit).toStrictEqual({ code: 0, signal: null });
    expect(child.text[0]).toBe('Usage: function-plana-tenant [flags]');
    expect(child.text).toContain('  --insecure                    Serve plaintext gRPC without mTLS (local development, crossplane');
    expect(child.lines).toStrictEqual([]);
  });

  it('exits 2 with one line on stderr for an unknown flag', async () => {
    const child = launch(['--tls-server-certs-dir=/x']);
    expect(await child.exit).toStrictEqual({ code: 2, signal: null });
    expect(child.stderr()).toBe('function-plana-tenant: unknown flag --tls-server-certs-dir (see --help)\n');
    expect(child.lines).toStrictEqual([]);
  });

  it('exits 1 with one JSON error line without certificates and without --insecure', async () => {
    const child = launch(['--address=127.0.0.1:0']);
    expect(await child.exit).toStrictEqual({ code: 1, signal: null });
    expect(child.lines).toHaveLength(1);
    expect(child.lines[0]).toMatchObject({
      level: 'error',
      fn: 'function-plana-tenant',
      msg: 'no TLS certificates: set --tls-certs-dir (or TLS_SERVER_CERTS_DIR) to a directory holding tls.crt, tls.key and ca.crt, or pass --insecure to serve plaintext without mTLS',
    });
  });

  it('exits 1 when the port is taken', async () => {
    const taken = await occupyPort();
    try {
      const child = launch(['--insecure', `--address=127.0.0.1:${taken.port}`]);
      expect(await child.exit).toStrictEqual({ code: 1, signal: null });
      expect(child.lines).toHaveLength(1);
      expect(child.lines[0]?.level).toBe('error');
      expect(child.lines[0]?.msg).toMatch(new RegExp(`^cannot listen on "127.0.0.1:${taken.port}": .*EADDRINUSE`));
    } finally {
      taken.server.close();
    }
  });

  it.each<{ reason: string; args: (dir: string) => string[]; env: (dir: string) => NodeJS.ProcessEnv }>([
    { reason: '--tls-certs-dir', args: (dir) => [`--tls-certs-dir=${dir}`], env: () => ({}) },
    { reason: 'TLS_SERVER_CERTS_DIR', args: () => [], env: (dir) => ({ TLS_SERVER_CERTS_DIR: dir }) },
  ])('serves mTLS with the certificates from $reason, refuses a foreign client, and exits 0 on SIGTERM', async ({ args, env }) => {
    const child = launch(['--address=127.0.0.1:0', ...args(serverDir)], env(serverDir));
    const port = await child.serving;
    expect(child.lines[0]).toMatchObject({
      level: 'info',
      msg: 'serving',
      address: '127.0.0.1:0',
      insecure: false,
      maxRecvMsgSize: 4 * MiB,
    });

    const req = request('child-mtls');
    const good = await runOn(client(port, clientCredentials('client')), V1, req);
    expect(good.err).toBeNull();
    expect(good.res).toStrictEqual(expected(req));
    const foreign = await runOn(client(port, clientCredentials('foreign-client')), V1, req);
    expect(foreign.err?.code).toBe(grpc.status.UNAVAILABLE);

    child.kill('SIGTERM');
    expect(await child.exit).toStrictEqual({ code: 0, signal: null });
    expect(child.lines.at(-1)).toMatchObject({ level: 'info', msg: 'stopped', outcome: 'drained' });
  });

  it('on SIGTERM with 300 calls sent, answers or cleanly refuses every one, then exits 0', async () => {
    const child = launch(['--insecure', '--address=127.0.0.1:0', '--max-recv-msg-size=8388608']);
    const port = await child.serving;
    expect(child.lines[0]).toMatchObject({ msg: 'serving', insecure: true, maxRecvMsgSize: 8 * MiB, maxSendMsgSize: 16 * MiB });
    const c = client(port);
    const warm = await runOn(c, V1, request('warm-up')); // the connection is up before the burst
    expect(warm.err).toBeNull();

    const calls = Array.from({ length: 300 }, (_, i) => runOn(c, i % 2 === 0 ? V1 : V1BETA1, request(`burst-${i}`)));
    await new Promise((resolve) => setImmediate(resolve)); // let grpc-js write the calls out
    child.kill('SIGTERM');
    const outcomes = await Promise.all(calls);

    const codes = outcomes.map((o) => o.err?.code ?? grpc.status.OK);
    // UNAVAILABLE is what a call refused before processing (GOAWAY, closed listener) gets; anything
    // else (CANCELLED, INTERNAL, DEADLINE_EXCEEDED) would be a call lost mid-way.
    expect(codes.filter((code) => code !== grpc.status.OK && code !== grpc.status.UNAVAILABLE)).toStrictEqual([]);
    outcomes.forEach((o, i) => {
      if (o.err === null) expect(o.res).toStrictEqual(expected(request(`burst-${i}`)));
    });
    expect(await child.exit).toStrictEqual({ code: 0, signal: null });
    expect(child.lines.map((l) => l.msg)).toStrictEqual(['serving', 'draining: refusing new calls, finishing in-flight ones', 'stopped']);
    expect(child.lines.at(-1)).toMatchObject({ outcome: 'drained' });
  });

  it('exits at once with 128+15 on a second SIGTERM while draining', async () => {
    const child = launch(['--insecure', '--address=127.0.0.1:0', '--drain-timeout=600']);
    const port = await child.serving;
    // Hold the drain open with a call whose message never finishes arriving: a raw HTTP/2 stream
    // with a gRPC frame header that promises 100 bytes and sends none.
    const session = http2Connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    await new Promise((resolve) => session.once('connect', resolve)); // a PING sent earlier is cancelled
    const stream = session.request({
      ':method': 'POST',
      ':path': `/${V1}/RunFunction`,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    stream.write(Buffer.from([0, 0, 0, 0, 100]));
    // The PING is answered after the frames before it were processed: the server has the stream.
    await new Promise<void>((resolve, reject) => session.ping((err) => (err ? reject(err) : resolve())));

    child.kill('SIGTERM');
    await until(() => child.lines.some((l) => l.msg.startsWith('draining')));
    child.kill('SIGTERM');
    expect(await child.exit).toStrictEqual({ code: 143, signal: null });
    expect(child.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'second signal while draining: exiting at once', signal: 'SIGTERM' });
    session.destroy();
  });
});
