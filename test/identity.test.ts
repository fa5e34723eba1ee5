/**
 * What real Crossplane does with a pipeline name (it pins the object's name and namespace to it),
 * and who may own an object: the rules in src/identity.ts, exercised through runFunction.
 */
import fc from 'fast-check';
import { Capability, Severity, Status, Target, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { identityKey, TENANT_UID_LABEL } from '../src/identity.js';
import { INPUT_HEAD, deepFreeze, deps, request, xr, type Obj, type RequestParts } from './support.js';

const RUNS = Number(process.env['PROPERTY_RUNS'] ?? 1500);
const UID = '6f1d1c0e-8a4b-4c57-9d6a-2b1f0e3c4d5a';
const run = (parts: RequestParts = {}): RunFunctionResponse => runFunction(deepFreeze(request(parts)), deps);
const desired = (res: RunFunctionResponse): Record<string, Obj> =>
  Object.fromEntries(Object.entries(res.desired?.resources ?? {}).map(([k, v]) => [k, v.resource as Obj]));
const metadata = (o: Obj): Obj => o['metadata'] as Obj;
const fatalOf = (res: RunFunctionResponse) => res.results.find((r) => r.severity === Severity.SEVERITY_FATAL);

/** What the API server would hold for a composed object: the object plus server-set fields. */
const asObserved = (o: Obj, status: Obj = {}): Obj => ({ ...o, metadata: { ...metadata(o), uid: 'server-uid', generation: 1 }, status });

describe('one pipeline name always denotes one object identity', () => {
  // Every XR field and every Input field that moves or renames an object, and some that do not.
  const specChange = fc.record(
    {
      odooVersion: fc.constantFrom('17', '18', '19'),
      tier: fc.constantFrom('starter', 'pro', 'enterprise'),
      projectId: fc.integer({ min: 1, max: 5 }),
      aliasDomains: fc.subarray(['planapulse.online', 'planapulse.dev']),
      backup: fc.record({ suspend: fc.boolean() }),
    },
    { requiredKeys: [] },
  );
  const inputChange = fc.record(
    {
      output: fc.record({ mode: fc.constantFrom('Direct', 'Object') }),
      backup: fc.record(
        { namespace: fc.constantFrom('backup', 'backups'), windowStartHour: fc.integer({ min: 0, max: 3 }) },
        { requiredKeys: [] },
      ),
      filestoreJob: fc.record(
        {
          namespace: fc.constantFrom('crossplane-system', 'plana-jobs'),
          mode: fc.constantFrom('0750', '0770'),
          backoffLimit: fc.integer({ min: 1, max: 3 }),
        },
        { requiredKeys: [] },
      ),
      odoo: fc.record(
        {
          versions: fc.constant([
            { version: '17', namespace: 'plana-odoo', filestoreClaim: 'odoo-filestore-17' },
            { version: '18', namespace: 'plana-odoo-18', filestoreClaim: 'odoo-filestore-18' },
            { version: '19', namespace: 'plana-odoo-next', filestoreClaim: 'odoo-filestore-next' },
          ]),
          uid: fc.constantFrom(101, 1000),
          filestoreSubPath: fc.constantFrom('', 'filestore'),
        },
        { requiredKeys: [] },
      ),
      gateway: fc.record(
        {
          name: fc.constantFrom('eg-gateway', 'eg-2'),
          namespace: fc.constantFrom('plana-odoo', 'gateways'),
          primaryDomain: fc.constantFrom('planapulse.app', 'planapulse.online'),
          requestTimeout: fc.constantFrom('300s', '10m'),
          aliasRedirectStatusCode: fc.constantFrom(301, 308),
        },
        { requiredKeys: [] },
      ),
      database: fc.record(
        { host: fc.constantFrom('pg01.planapulse.com', 'pg02.planapulse.com'), port: fc.constantFrom(5432, 5433) },
        { requiredKeys: [] },
      ),
      ttl: fc.record({ pendingSeconds: fc.constantFrom(15, 30) }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  );

  it('across any change of the XR or the Input, a name that survives keeps its identity; a moved object gets a new name', () => {
    fc.assert(
      fc.property(specChange, inputChange, specChange, inputChange, (specA, inA, specB, inB) => {
        const resA = run({ xr: xr(specA, { uid: UID }), input: { ...INPUT_HEAD, ...inA } });
        // Some combinations are refused (an alias on the primary domain): nothing is composed then.
        fc.pre(fatalOf(resA) === undefined);
        const a = desired(resA);
        // Crossplane observes what it made from A, under A's names, then calls with B.
        const observed = Object.fromEntries(Object.entries(a).map(([name, o]) => [name, asObserved(o)]));
        const resB = run({ xr: xr(specB, { uid: UID }), input: { ...INPUT_HEAD, ...inB }, observed });
        fc.pre(fatalOf(resB) === undefined);
        const b = desired(resB);
        expect(Object.keys(b).length).toBeGreaterThanOrEqual(3);
        for (const [name, o] of Object.entries(b)) {
          if (a[name] !== undefined) expect(identityKey(o), name).toBe(identityKey(a[name]));
        }
        // And the other way round: an identity A had is never given a different name by B.
        const byKey = new Map(Object.entries(a).map(([name, o]) => [identityKey(o), name]));
        for (const [name, o] of Object.entries(b)) {
          const before = byKey.get(identityKey(o));
          if (before !== undefined) expect(name).toBe(before);
        }
      }),
      // Two whole reconciles per case: a fifth of the other properties' runs.
      { numRuns: Math.ceil(RUNS / 5) },
    );
  }, 120_000);

  it('an Odoo upgrade 18 -> 19 composes the route in plana-odoo-19 under a new name and drops the v18 route, not ready until accepted', () => {
    const v18 = desired(run({ xr: xr({}, { uid: UID }) }));
    const [route18] = Object.keys(v18);
    const accepted = {
      parents: [
        {
          parentRef: { name: 'eg-gateway', namespace: 'plana-odoo', sectionName: 'https-app' },
          conditions: [
            { type: 'Accepted', status: 'True' },
            { type: 'ResolvedRefs', status: 'True' },
          ],
        },
      ],
    };
    const observed = Object.fromEntries(
      Object.entries(v18).map(([name, o]) => [
        name,
        asObserved(o, name === route18 ? accepted : { conditions: [{ type: 'Complete', status: 'True' }] }),
      ]),
    );
    const res = run({ xr: xr({ odooVersion: '19' }, { uid: UID }), observed });
    const v19 = desired(res);
    expect(Object.keys(v19)).not.toContain(route18);
    const routes = Object.entries(v19).filter(([, o]) => o['kind'] === 'HTTPRoute');
    expect(routes).toHaveLength(1);
    expect(routes[0]![0]).toMatch(/^route-[0-9a-f]{8}$/);
    expect(metadata(routes[0]![1])).toMatchObject({ name: 'acme', namespace: 'plana-odoo-19' });
    expect(res.desired?.resources[routes[0]![0]]?.ready).toBe(2); // READY_FALSE
    expect(res.conditions.find((c) => c.type === 'RouteReady')).toMatchObject({
      status: Status.STATUS_CONDITION_FALSE,
      reason: 'Creating',
    });
    expect((res.desired?.composite?.resource?.['status'] as Obj)['namespace']).toBe('plana-odoo-19');
    // The backup CronJob did not move: it keeps its name, and Crossplane keeps the object.
    const backupName = Object.keys(v18).find((n) => n.startsWith('backup-'))!;
    expect(v19[backupName]).toBeDefined();
  });

  it("keeps objects made under the first releases' names (route, backup) instead of deleting and recreating them", () => {
    const now = desired(run({ xr: xr({}, { uid: UID }) }));
    const [routeName, backupName] = Object.keys(now);
    const legacy = { route: asObserved(now[routeName!]!), backup: asObserved(now[backupName!]!) };
    const names = Object.keys(desired(run({ xr: xr({}, { uid: UID }), observed: legacy })));
    expect(names.slice(0, 2)).toEqual(['route', 'backup']);
    // ...until the object moves: then the old name goes and Crossplane deletes the old route.
    expect(Object.keys(desired(run({ xr: xr({ odooVersion: '19' }, { uid: UID }), observed: legacy })))).not.toContain('route');
  });

  it('does not replace the filestore Job for what it does not do (tier, project id), but does for what it does', () => {
    const job = (spec: Obj, inp: Obj = {}) =>
      Object.entries(desired(run({ xr: xr(spec), input: { ...INPUT_HEAD, ...inp } }))).find(([n]) => n.startsWith('filestore-'))!;
    const [name, base] = job({});
    const [relabelledName, relabelled] = job({ tier: 'enterprise', projectId: 99 });
    expect(relabelledName).toBe(name);
    expect(metadata(relabelled)['name']).toBe(metadata(base)['name']);
    expect(relabelled['spec']).toEqual(base['spec']);
    expect(metadata(relabelled)['labels']).toMatchObject({ 'planapulse.com/tier': 'enterprise', 'planapulse.com/project-id': '99' });
    expect(job({}, { filestoreJob: { mode: '0770' } })[0]).not.toBe(name);
    expect(job({ odooVersion: '19' })[0]).not.toBe(name);
  });
});

describe('no XR takes over an object it did not create', () => {
  const selectorsOf = (res: RunFunctionResponse) => ({ ...res.requirements?.extraResources, ...res.requirements?.resources });

  it("labels every object (and every Object and its manifest) with the XR's UID", () => {
    for (const mode of ['Direct', 'Object']) {
      for (const o of Object.values(
        desired(run({ xr: xr({ aliasDomains: ['planapulse.online'] }, { uid: UID }), input: { ...INPUT_HEAD, output: { mode } } })),
      )) {
        expect(metadata(o)['labels']).toMatchObject({ [TENANT_UID_LABEL]: UID });
        const manifest = ((o['spec'] as Obj)['forProvider'] as Obj | undefined)?.['manifest'] as Obj | undefined;
        if (mode === 'Object') expect(metadata(manifest!)['labels']).toMatchObject({ [TENANT_UID_LABEL]: UID });
      }
    }
  });

  it("asks Crossplane for whatever already holds each new object's name (extra_resources for v1, resources when Crossplane says it reads them)", () => {
    const v1 = run({ xr: xr({}, { uid: UID }) });
    const names = Object.keys(v1.desired!.resources);
    expect(Object.keys(v1.requirements!.extraResources)).toEqual(names);
    expect(v1.requirements!.extraResources[names[0]!]).toEqual({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      matchName: 'acme',
      namespace: 'plana-odoo-18',
    });
    const req = request({ xr: xr({}, { uid: UID }) });
    req.meta!.capabilities = [Capability.CAPABILITY_CAPABILITIES, Capability.CAPABILITY_REQUIRED_RESOURCES];
    const v2 = runFunction(deepFreeze(req), deps);
    expect(Object.keys(v2.requirements!.resources)).toEqual(names);
    expect(v2.requirements!.extraResources).toEqual({});
  });

  it('asks nothing once Crossplane observes all of them: a steady reconcile is one call', () => {
    const first = desired(run({ xr: xr({}, { uid: UID }) }));
    const observed = Object.fromEntries(Object.entries(first).map(([n, o]) => [n, asObserved(o)]));
    expect(run({ xr: xr({}, { uid: UID }), observed }).requirements).toBeUndefined();
  });

  const answered = (existing: Record<string, Obj | undefined>) => {
    const first = run({ xr: xr({}, { uid: UID }) });
    const req = request({ xr: xr({}, { uid: UID }) });
    req.extraResources = Object.fromEntries(
      Object.keys(selectorsOf(first)).map((name, i) => {
        const o = Object.values(existing)[i];
        return [name, { items: o === undefined ? [] : [{ resource: o, connectionDetails: {}, ready: 0 }] }];
      }),
    );
    return { first, res: runFunction(deepFreeze(req), deps) };
  };

  it('composes every object when nothing holds their names, and asks the same again, so Crossplane stops asking', () => {
    const { first, res } = answered({});
    expect(fatalOf(res)).toBeUndefined();
    expect(Object.keys(res.desired!.resources)).toEqual(Object.keys(first.desired!.resources));
    expect(res.requirements).toEqual(first.requirements);
  });

  it.each([
    {
      reason: 'made by hand (no tenant label)',
      labels: {},
      says: `HTTPRoute plana-odoo-18/acme already exists and has no ${TENANT_UID_LABEL} label`,
    },
    {
      reason: "another tenant's (a second XR for the same subdomain)",
      labels: { [TENANT_UID_LABEL]: 'other-uid' },
      says: 'HTTPRoute plana-odoo-18/acme already exists and belongs to the tenant whose XR has UID "other-uid"',
    },
  ])("refuses with one Fatal, composing nothing, when the route's name is held by an object $reason", ({ labels, says }) => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'acme', namespace: 'plana-odoo-18', labels },
    };
    const { res } = answered({ route });
    expect(res.results).toEqual([
      expect.objectContaining({ severity: Severity.SEVERITY_FATAL, reason: 'ResourceConflict', target: Target.TARGET_COMPOSITE }),
    ]);
    expect(fatalOf(res)!.message).toContain(says);
    expect(fatalOf(res)!.message).toContain('refusing to take it over');
    expect(res.desired?.resources).toEqual({});
  });

  it("adopts an object that carries this XR's own UID (for example after its Object was deleted with policy Orphan)", () => {
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup-acme', namespace: 'backup', labels: { [TENANT_UID_LABEL]: UID } },
    };
    const { res } = answered({ route: undefined, cron });
    expect(fatalOf(res)).toBeUndefined();
    expect(Object.keys(res.desired!.resources)).toHaveLength(3);
  });

  it("refuses when provider-kubernetes reports that the object an Object manages carries another tenant's UID", () => {
    const nsInput = { ...INPUT_HEAD, tenants: { namespaces: ['sales'] } };
    const mine = xr({}, { namespace: 'sales', uid: UID });
    const first = desired(run({ xr: mine, input: nsInput }));
    const [routeName] = Object.keys(first);
    const manifest = ((first[routeName!]!['spec'] as Obj)['forProvider'] as Obj)['manifest'] as Obj;
    const stolen = { ...manifest, metadata: { ...metadata(manifest), labels: { [TENANT_UID_LABEL]: 'other-uid' } } };
    const observed = { [routeName!]: { ...first[routeName!]!, status: { atProvider: { manifest: stolen } } } };
    const res = run({ xr: mine, input: nsInput, observed });
    expect(fatalOf(res)).toMatchObject({ reason: 'ResourceConflict' });
  });

  it('accepts namespaced tenants only from the namespaces the Input lists', () => {
    const elsewhere = run({ xr: xr({}, { namespace: 'hr' }), input: { ...INPUT_HEAD, tenants: { namespaces: ['sales'] } } });
    expect(fatalOf(elsewhere)?.message).toBe(
      'metadata.namespace: "hr" is not allowed: must be one of the namespaces in input.tenants.namespaces (sales)',
    );
    const byDefault = run({ xr: xr({}, { namespace: 'sales' }) });
    expect(fatalOf(byDefault)?.message).toContain('input.tenants.namespaces, which lists none');
    expect(
      fatalOf(run({ xr: xr({}, { namespace: 'sales' }), input: { ...INPUT_HEAD, tenants: { namespaces: ['sales'] } } })),
    ).toBeUndefined();
  });
});
