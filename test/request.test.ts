/** Our request decoder reads exactly what the SDK's generated decoder reads, and passes untouched resources through as bytes. */
import { Ready, RunFunctionRequest, RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { DecodeError, MAX_DEPTH, PassThroughResource, decodeRequest } from '../src/grpc/request.js';
import { encodeResponse } from '../src/grpc/wire.js';
import { deps, request, xr, type Obj } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1000);

const encode = (req: RunFunctionRequest): Uint8Array => RunFunctionRequest.encode(req).finish();

/** The decoded request with every pass-through resource read into a plain one, for comparisons. */
function plain(req: RunFunctionRequest): RunFunctionRequest {
  const states = (s: RunFunctionRequest['observed']) =>
    s === undefined
      ? undefined
      : {
          composite: s.composite,
          resources: Object.fromEntries(
            Object.entries(s.resources).map(([k, v]) => [
              k,
              { resource: v.resource, connectionDetails: v.connectionDetails, ready: v.ready },
            ]),
          ),
        };
  return { ...req, observed: states(req.observed), desired: states(req.desired) };
}

const REAL: ReadonlyArray<{ reason: string; req: () => RunFunctionRequest }> = [
  { reason: 'first reconcile', req: () => request() },
  {
    reason: 'observed and desired resources, input, context, capabilities',
    req: () => ({
      ...request({
        xr: xr({ aliasDomains: ['planapulse.online'] }, { uid: 'u-1', creationTimestamp: '2026-11-01T00:00:00Z' }),
        input: { apiVersion: 'tenant.fn.planapulse.com/v1beta1', kind: 'Input', backup: { windowMinutes: 90 } },
        observed: {
          'route-1': { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'acme' }, status: { parents: [] } },
        },
        desired: { other: { kind: 'ConfigMap', data: { k: 'ü € 𝄞 "quoted"\n', n: '1' } } },
        desiredComposite: { status: { earlier: true } },
        context: { n: 1.5, z: null, l: [true, -3, 'x', { deep: [[]] }] },
      }),
      meta: { tag: 'tag-ü', capabilities: [1, 2, 3] },
    }),
  },
  {
    reason: 'extra and required resources, credentials, schemas',
    req: () => ({
      ...request(),
      extraResources: { a: { items: [{ resource: { kind: 'X' }, connectionDetails: {}, ready: Ready.READY_TRUE }] } },
      requiredResources: {
        b: { items: [] },
        c: {
          items: [
            { resource: { kind: 'Y', spec: { list: [1, 2] } }, connectionDetails: { k: Buffer.from([0, 255]) }, ready: Ready.READY_FALSE },
          ],
        },
      },
      credentials: { creds: { credentialData: { data: { password: Buffer.from('s3cr3t') } } } },
      requiredSchemas: { s: { openapiV3: { type: 'object' } }, empty: { openapiV3: undefined } },
    }),
  },
];

describe('decodeRequest', () => {
  it.each(REAL)('reads what the generated decoder reads: $reason', ({ req }) => {
    const bytes = encode(req());
    expect(plain(decodeRequest(bytes))).toStrictEqual(RunFunctionRequest.decode(bytes));
  });

  it('reads any JSON in every Struct of the request as the generated decoder does', () => {
    // The generated decoder drops a "__proto__" key; ours keeps it (below): left out here.
    const json = fc.dictionary(fc.string(), fc.jsonValue()).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
    fc.assert(
      fc.property(
        json,
        json,
        json,
        fc.dictionary(
          fc.string().filter((k) => k !== '__proto__'),
          json,
          { maxKeys: 4 },
        ),
        (composite, input, context, resources) => {
          const req = request({ xr: composite, input, context, observed: resources, desired: resources });
          const bytes = encode(req);
          expect(plain(decodeRequest(bytes))).toStrictEqual(RunFunctionRequest.decode(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('reads UTF-8 as the generated decoder does: multibyte, a BOM kept, invalid bytes as U+FFFD', () => {
    const bytes = Buffer.from(encode(request({ context: { s: 'ZZZZ', bom: '\uFEFFx', multi: 'ü € 𝄞', long: 'é'.repeat(200) } })));
    const at = bytes.indexOf('ZZZZ');
    for (const bad of [
      [0x5a, 0x5a, 0x5a, 0x5a],
      [0xc3, 0x28, 0x41, 0x42], // a lead byte without its continuation
      [0xff, 0xfe, 0xfd, 0x41], // bytes that never occur in UTF-8
      [0xf0, 0x9f, 0x98, 0x41], // a truncated four-byte sequence
      [0xed, 0xa0, 0x80, 0x41], // an encoded surrogate
    ]) {
      const b = Buffer.from(bytes);
      b.set(bad, at);
      expect(plain(decodeRequest(b))).toStrictEqual(RunFunctionRequest.decode(b));
    }
    expect(decodeRequest(bytes).context).toMatchObject({ bom: '\uFEFFx', multi: 'ü € 𝄞' });
  });

  it('reads any Unicode key and string as the generated decoder does', () => {
    const text = fc.string({ unit: 'binary', maxLength: 80 });
    fc.assert(
      fc.property(
        fc.dictionary(
          text.filter((k) => k !== '__proto__'),
          text,
        ),
        (context) => {
          const bytes = encode(request({ context }));
          expect(plain(decodeRequest(bytes))).toStrictEqual(RunFunctionRequest.decode(bytes));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('keeps a "__proto__" key as an own key and never touches a prototype', () => {
    // The generated encoder drops the key too; ours writes it. A response's context (field 4)
    // is a request's context (field 5) once its tag is changed.
    const context = JSON.parse('{"metadata":{"__proto__":{"name":"evil"}}}') as Obj;
    const bytes = encodeResponse({
      meta: undefined,
      desired: undefined,
      results: [],
      context,
      requirements: undefined,
      conditions: [],
    }).slice();
    expect(bytes[0]).toBe(0x22);
    bytes[0] = 0x2a;
    const metadata = decodeRequest(bytes).context?.['metadata'] as Obj;
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
    expect(metadata['name']).toBeUndefined();
    expect(Object.keys(metadata)).toEqual(['__proto__']);
    expect(({} as Obj)['name']).toBeUndefined();
  });

  it('refuses a Struct nested deeper than MAX_DEPTH with a DecodeError, not a stack overflow', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH + 5; i++) deep = { d: deep };
    const bytes = encode(request({ context: deep as Obj }));
    expect(() => decodeRequest(bytes)).toThrow(DecodeError);
    expect(() => decodeRequest(bytes)).toThrow(`a Struct nested deeper than ${MAX_DEPTH} levels`);
    let ok: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH - 2; i++) ok = { d: ok };
    expect(decodeRequest(encode(request({ context: ok as Obj }))).context).toEqual(ok);
  });

  it.each([
    { reason: 'a truncated message', bytes: () => encode(request()).subarray(0, 40), message: /past the end|truncated/ },
    { reason: 'a length past the end', bytes: () => Uint8Array.from([0x12, 0x7f, 0x0a]), message: 'length past the end of the message' },
    { reason: 'a varint that never ends', bytes: () => new Uint8Array(12).fill(0xff), message: /varint/ },
    { reason: 'an end-group tag', bytes: () => Uint8Array.from([0x0c]), message: 'invalid field tag 12' },
  ])('refuses $reason with a DecodeError', ({ bytes, message }) => {
    expect(() => decodeRequest(bytes())).toThrow(DecodeError);
    expect(() => decodeRequest(bytes())).toThrow(message);
  });
});

describe("earlier steps' resources pass through as bytes", () => {
  const req = () => request({ desired: { a: { kind: 'ConfigMap', data: { k: 'v' } }, b: { kind: 'Secret', metadata: { name: 'x' } } } });

  it('leaves them unread through a whole call, and the response carries the same bytes the generated encoder writes', () => {
    const decoded = decodeRequest(encode(req()));
    const res = runFunction(decoded, deps);
    const passed = Object.values(decoded.desired?.resources ?? {}).filter((r) => r instanceof PassThroughResource);
    expect(passed).toHaveLength(2);
    expect(passed.every((r) => !r.read)).toBe(true);
    const bytes = Buffer.from(encodeResponse(res));
    const materialized: RunFunctionResponse = {
      ...res,
      desired: {
        composite: res.desired?.composite,
        resources: Object.fromEntries(
          Object.entries(res.desired?.resources ?? {}).map(([k, v]) => [k, { ...(v instanceof PassThroughResource ? v.toJSON() : v) }]),
        ),
      },
    };
    expect(bytes.equals(Buffer.from(RunFunctionResponse.encode(materialized).finish()))).toBe(true);
    expect(RunFunctionResponse.decode(bytes).desired?.resources['a']?.resource).toEqual({ kind: 'ConfigMap', data: { k: 'v' } });
  });

  it('encodes a resource that was read from what was read', () => {
    const decoded = decodeRequest(encode(req()));
    const a = decoded.desired!.resources['a']!;
    (a.resource!['data'] as Obj)['k'] = 'changed';
    expect((a as PassThroughResource).read).toBe(true);
    const res = runFunction(decoded, deps);
    expect(RunFunctionResponse.decode(encodeResponse(res)).desired?.resources['a']?.resource).toEqual({
      kind: 'ConfigMap',
      data: { k: 'changed' },
    });
  });
});
