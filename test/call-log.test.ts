/** One structured debug line per RunFunction call, naming the XR (issue 13). */
import * as grpc from '@grpc/grpc-js';
import type { RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { newLogger } from '../src/logger.js';
import { RUNNER_CLIENT_DEFINITIONS, startServer, type RunningServer } from '../src/grpc/server.js';
import { NOW, request, xr } from './support.js';

const cleanup: Array<() => Promise<unknown> | void> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function serve(
  debug: boolean,
  handler?: (req: RunFunctionRequest) => RunFunctionResponse,
): Promise<{ port: number; lines: () => Array<Record<string, unknown>> }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const log = newLogger(debug, out);
  const server: RunningServer = await startServer(
    { address: '127.0.0.1:0', host: '127.0.0.1', port: 0, insecure: true, maxRecvMsgSize: 4 * 1024 * 1024 },
    handler ?? ((req) => runFunction(req, { now: () => NOW })),
    log,
  );
  cleanup.push(() => server.drain(0));
  return {
    port: server.port,
    lines: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

function call(port: number, req: RunFunctionRequest): Promise<RunFunctionResponse> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  cleanup.push(() => client.close());
  const def = RUNNER_CLIENT_DEFINITIONS['apiextensions.fn.proto.v1.FunctionRunnerService'].runFunction;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, req, (err, res) =>
      err ? reject(err) : resolve(res!),
    ),
  );
}

const runFunctionLines = (lines: Array<Record<string, unknown>>): Array<Record<string, unknown>> =>
  lines.filter((l) => l['msg'] === 'RunFunction');

describe('the per-call debug log line', () => {
  it.each([
    {
      reason: 'a first reconcile: three objects, none ready, conditions pending',
      req: () => request(),
      want: {
        level: 'debug',
        fn: 'function-plana-tenant',
        service: 'apiextensions.fn.proto.v1.FunctionRunnerService',
        tag: 'test-tag',
        xr: 'acme',
        xrKind: 'PLANAClient',
        resources: 3,
        ready: 0,
        results: [],
        ttlSeconds: 15,
        conditions: ['RouteReady=False:Creating', 'FilestoreReady=False:Creating', 'BackupHealthy=Unknown:Creating'],
      },
    },
    {
      reason: 'a rejected XR: the Fatal result by reason, nothing composed',
      req: () => request({ xr: xr({ subdomain: 'x; rm -rf /' }, { name: 'evil' }) }),
      want: { xr: 'evil', resources: 0, ready: 0, results: [expect.stringMatching(/^Fatal:[A-Z]/)] },
    },
  ])('$reason', async ({ req, want }) => {
    const { port, lines } = await serve(true);
    await call(port, req());
    const got = runFunctionLines(lines());
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject(want);
    expect(got[0]!['durationMs']).toBeTypeOf('number');
    // Nothing of the XR's spec (owner e-mail, names) is logged.
    expect(JSON.stringify(got[0])).not.toContain('ceo@acme.bg');
  });

  it('names the XR of a call whose handler threw, next to the error line', async () => {
    const { port, lines } = await serve(true, () => {
      throw new Error('boom');
    });
    await call(port, request());
    const got = lines();
    expect(got.find((l) => l['level'] === 'error')).toMatchObject({
      xr: 'acme',
      xrKind: 'PLANAClient',
      msg: 'RunFunction failed: replying with a Fatal result',
    });
    expect(runFunctionLines(got)).toEqual([expect.objectContaining({ xr: 'acme', results: ['Fatal:InternalError'] })]);
  });

  it('is not written without --debug', async () => {
    const { port, lines } = await serve(false);
    await call(port, request());
    expect(runFunctionLines(lines())).toEqual([]);
  });
});
