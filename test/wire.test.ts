/** The fast response encoder writes exactly what the SDK's generated encoder writes. */
import { Ready, RunFunctionResponse, Severity, Status, Target } from '@crossplane-org/function-sdk-typescript';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { UnsafeValueError, encodeResponse } from '../src/grpc/wire.js';
import { deps, request, xr } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1500);
const generated = (res: RunFunctionResponse): Buffer => Buffer.from(RunFunctionResponse.encode(res).finish());
const ours = (res: RunFunctionResponse): Buffer => Buffer.from(encodeResponse(res));

const base = (over: Partial<RunFunctionResponse> = {}): RunFunctionResponse => ({
  meta: { tag: 't', ttl: { seconds: 15, nanos: 0 } },
  desired: { composite: undefined, resources: {} },
  results: [],
  context: undefined,
  requirements: undefined,
  conditions: [],
  ...over,
});

describe('encodeResponse', () => {
  it.each([
    { reason: 'first reconcile', res: () => runFunction(request(), deps) },
    { reason: 'a Fatal result', res: () => runFunction(request({ xr: xr({ tier: 'gold' }) }), deps) },
    {
      reason: "earlier steps' resources and a context",
      res: () =>
        runFunction(
          request({
            desired: { a: { kind: 'ConfigMap', data: { k: 'ü € 𝄞 "quoted"\n' } } },
            context: { n: 1.5, z: null, l: [true, -3, 'x'] },
          }),
          deps,
        ),
    },
    {
      reason: 'every field set, long strings, connection details and requirements',
      res: () =>
        base({
          meta: { tag: 'x'.repeat(300), ttl: { seconds: 86400, nanos: 5 } },
          desired: {
            composite: {
              resource: { status: { s: 'y'.repeat(20_000) } },
              connectionDetails: { password: Buffer.from([0, 1, 255]) },
              ready: Ready.READY_TRUE,
            },
            resources: { r: { resource: {}, connectionDetails: {}, ready: Ready.READY_FALSE } },
          },
          results: [{ severity: Severity.SEVERITY_WARNING, message: 'm', reason: 'R', target: Target.TARGET_COMPOSITE_AND_CLAIM }],
          requirements: { extraResources: {}, resources: { cm: { apiVersion: 'v1', kind: 'ConfigMap', matchName: 'x' } }, schemas: {} },
          conditions: [
            { type: 'T', status: Status.STATUS_CONDITION_UNKNOWN, reason: 'Why', message: 'msg', target: Target.TARGET_COMPOSITE },
          ],
          output: { o: [[], {}, ''] },
        }),
    },
  ])('writes the same bytes as the generated encoder: $reason', ({ res }) => {
    const r = res();
    expect(ours(r).equals(generated(r))).toBe(true);
  });

  it('round-trips any JSON through the generated decoder', () => {
    // The generated code assigns keys into plain objects, so it silently drops a "__proto__" key
    // (ours keeps it); such values are left out of the byte-for-byte comparison.
    const json = fc.dictionary(fc.string(), fc.jsonValue()).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
    fc.assert(
      fc.property(json, json, (resource, context) => {
        const res = base({
          desired: { composite: undefined, resources: { x: { resource, connectionDetails: {}, ready: Ready.READY_TRUE } } },
          context,
        });
        const bytes = ours(res);
        expect(bytes.equals(generated(res))).toBe(true);
        expect(RunFunctionResponse.decode(bytes).desired?.resources['x']?.resource).toEqual(resource);
      }),
      { numRuns: RUNS },
    );
  });

  it.each([
    { reason: 'NaN', value: { a: { b: Number.NaN } }, message: 'desired.resources.x.a.b: NaN cannot be sent to Crossplane' },
    {
      reason: 'Infinity',
      value: { a: [Number.POSITIVE_INFINITY] },
      message: 'desired.resources.x.a[0]: Infinity cannot be sent to Crossplane',
    },
    {
      reason: 'undefined inside a list',
      value: { a: [1, undefined] },
      message: 'desired.resources.x.a[1]: undefined cannot be sent to Crossplane',
    },
    { reason: 'a Date', value: { when: new Date(0) }, message: 'desired.resources.x.when: a Date cannot be sent to Crossplane' },
    { reason: 'a bigint', value: { n: 10n }, message: 'desired.resources.x.n: a bigint cannot be sent to Crossplane' },
  ])('refuses $reason, naming where it is', ({ value, message }) => {
    const res = base({ desired: { composite: undefined, resources: { x: { resource: value, connectionDetails: {}, ready: 0 } } } });
    expect(() => encodeResponse(res)).toThrow(
      new UnsafeValueError(message.split(': ')[0]!, message.split(': ')[1]!.replace(' cannot be sent to Crossplane', '')),
    );
  });

  it('leaves out undefined fields, as JSON does', () => {
    const res = base({
      desired: { composite: undefined, resources: { x: { resource: { a: undefined, b: 1 }, connectionDetails: {}, ready: 0 } } },
    });
    expect(RunFunctionResponse.decode(encodeResponse(res)).desired?.resources['x']?.resource).toEqual({ b: 1 });
  });
});
