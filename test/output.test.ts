/** Output modes: the same objects, emitted directly or wrapped in provider-kubernetes Objects. */
import { Ready, Severity, Status, type RunFunctionResponse } from '@crossplane-org/function-sdk-typescript';
import { describe, expect, it } from 'vitest';
import { runFunction } from '../src/fn.js';
import { observedManifest } from '../src/output.js';
import { expectGolden } from './golden.js';
import { INPUT_HEAD, deepFreeze, deps, request, xr, type Obj, type RequestParts } from './support.js';

const run = (parts: RequestParts = {}): RunFunctionResponse => runFunction(deepFreeze(request(parts)), deps);
const NAMESPACED = xr({}, { namespace: 'crossplane-system' });
/** Namespaced tenants are accepted only from the namespaces the Input lists. */
const TENANT_NAMESPACES = { ...INPUT_HEAD, tenants: { namespaces: ['crossplane-system'] } };
const objectMode = { ...INPUT_HEAD, output: { mode: 'Object' } };
const resources = (res: RunFunctionResponse): Record<string, Obj> =>
  Object.fromEntries(Object.entries(res.desired?.resources ?? {}).map(([k, v]) => [k, v.resource as Obj]));
const manifestOf = (o: Obj): Obj => ((o['spec'] as Obj)['forProvider'] as Obj)['manifest'] as Obj;

/** An observed provider-kubernetes Object carrying what it observed of the wrapped object. */
const observedObject = (manifest: Obj): Obj => ({
  apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
  kind: 'Object',
  status: { atProvider: { manifest } },
});

describe('output modes', () => {
  it('Auto emits the objects directly for a cluster-scoped XR', () => {
    expect(Object.values(resources(run())).map((o) => o['kind'])).toEqual(['HTTPRoute', 'CronJob', 'Job']);
  });

  it("Auto wraps them in namespaced Objects in the XR's namespace for a namespaced XR; the manifests keep their own namespaces", () => {
    const objects = resources(run({ xr: NAMESPACED, input: TENANT_NAMESPACES }));
    expectGolden('acme-namespaced.objects', objects);
    for (const o of Object.values(objects)) {
      expect(o).toMatchObject({
        apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
        kind: 'Object',
        metadata: { namespace: 'crossplane-system' },
      });
      expect((o['spec'] as Obj)['providerConfigRef']).toEqual({ kind: 'ClusterProviderConfig', name: 'default' });
    }
    const [route, backup, job] = Object.values(objects).map(manifestOf);
    expect([route, backup, job].map((m) => [m!['kind'], (m!['metadata'] as Obj)['namespace']])).toEqual([
      ['HTTPRoute', 'plana-odoo-18'],
      ['CronJob', 'backup'],
      ['Job', 'crossplane-system'],
    ]);
    expect(Object.values(objects).map((o) => (o['metadata'] as Obj)['name'])).toEqual(
      Object.keys(objects).map((name) => `plana-acme-${name}`),
    );
    expect(Object.keys(objects)).toEqual([
      expect.stringMatching(/^route-[0-9a-f]{8}$/),
      expect.stringMatching(/^backup-[0-9a-f]{8}$/),
      expect.stringMatching(/^filestore-[0-9a-f]{8}$/),
    ]);
  });

  it('Object mode wraps in cluster-scoped v1alpha2 Objects for a cluster or legacy XR (Crossplane v1)', () => {
    const objects = resources(run({ input: objectMode }));
    for (const o of Object.values(objects)) {
      expect(o['apiVersion']).toBe('kubernetes.crossplane.io/v1alpha2');
      expect((o['metadata'] as Obj)['namespace']).toBeUndefined();
      expect((o['spec'] as Obj)['providerConfigRef']).toEqual({ name: 'default' });
    }
  });

  it("mirrors our readiness rules in each Object's readiness policy", () => {
    const objects = Object.values(resources(run({ input: { ...objectMode, gateway: {} } })));
    const [route, backup, job] = objects.map((o) => (o['spec'] as Obj)['readiness'] as Obj);
    expect(route!['policy']).toBe('DeriveFromCelQuery');
    // Our Gateway (name, namespace, group, kind, with Gateway API's defaults) on every listener,
    // Accepted and ResolvedRefs for the current generation: test/readiness-cel.test.ts evaluates it.
    expect(route!['celQuery']).toBe(
      "has(object.status) && has(object.status.parents) && ['https-app'].all(s, object.status.parents.exists(p, p.parentRef.name == 'eg-gateway' && (has(p.parentRef.namespace) ? p.parentRef.namespace : object.metadata.namespace) == 'plana-odoo' && (has(p.parentRef.group) ? p.parentRef.group : 'gateway.networking.k8s.io') == 'gateway.networking.k8s.io' && (has(p.parentRef.kind) ? p.parentRef.kind : 'Gateway') == 'Gateway' && has(p.parentRef.sectionName) && p.parentRef.sectionName == s && has(p.conditions) && p.conditions.exists(c, c.type == 'Accepted' && c.status == 'True' && (!has(c.observedGeneration) || !has(object.metadata.generation) || c.observedGeneration >= object.metadata.generation)) && p.conditions.exists(c, c.type == 'ResolvedRefs' && c.status == 'True' && (!has(c.observedGeneration) || !has(object.metadata.generation) || c.observedGeneration >= object.metadata.generation))))",
    );
    expect(backup).toEqual({ policy: 'SuccessfulCreate' });
    expect(job).toEqual({
      policy: 'DeriveFromCelQuery',
      celQuery:
        "has(object.status) && has(object.status.conditions) && object.status.conditions.exists(c, c.type == 'Complete' && c.status == 'True')",
    });
    const exists = Object.values(resources(run({ input: { ...objectMode, gateway: { readiness: 'Exists' } } })))[0]!;
    expect((exists['spec'] as Obj)['readiness']).toEqual({ policy: 'SuccessfulCreate' });
  });

  it("reads readiness, conditions and status from the wrapped objects' observed manifests", () => {
    const first = resources(run({ xr: NAMESPACED, input: TENANT_NAMESPACES }));
    const [routeName, backupName, jobName] = Object.keys(first) as [string, string, string];
    const route = manifestOf(first[routeName]!);
    const observed = {
      [routeName]: observedObject({
        ...route,
        metadata: { ...(route['metadata'] as Obj), generation: 1 },
        status: {
          parents: [
            {
              parentRef: { name: 'eg-gateway', namespace: 'plana-odoo', sectionName: 'https-app' },
              conditions: [
                { type: 'Accepted', status: 'True' },
                { type: 'ResolvedRefs', status: 'True' },
              ],
            },
          ],
        },
      }),
      [backupName]: observedObject({ ...manifestOf(first[backupName]!), status: { lastSuccessfulTime: '2026-11-22T01:00:00Z' } }),
      [jobName]: observedObject({ ...manifestOf(first[jobName]!), status: { conditions: [{ type: 'Complete', status: 'True' }] } }),
    };
    const res = run({ xr: NAMESPACED, input: TENANT_NAMESPACES, observed });
    expect(Object.values(res.desired!.resources).map((r) => r.ready)).toEqual([Ready.READY_TRUE, Ready.READY_TRUE, Ready.READY_TRUE]);
    expect(res.conditions.map((c) => [c.type, c.status])).toEqual([
      ['RouteReady', Status.STATUS_CONDITION_TRUE],
      ['FilestoreReady', Status.STATUS_CONDITION_TRUE],
      ['BackupHealthy', Status.STATUS_CONDITION_TRUE],
    ]);
  });

  it('treats an Object that has not observed its manifest yet as not created', () => {
    expect(observedManifest({ apiVersion: 'kubernetes.crossplane.io/v1alpha2', kind: 'Object', status: {} })).toBeUndefined();
    const plainObjectKind = { apiVersion: 'example.org/v1', kind: 'Object', status: {} };
    expect(observedManifest(plainObjectKind)).toBe(plainObjectKind);
  });

  it("refuses Direct for a namespaced XR: Crossplane would force every object into the XR's namespace", () => {
    const res = run({ xr: NAMESPACED, input: { ...TENANT_NAMESPACES, output: { mode: 'Direct' } } });
    expect(res.results).toEqual([
      expect.objectContaining({
        severity: Severity.SEVERITY_FATAL,
        reason: 'InvalidInput',
        message:
          'input.output.mode: "Direct" is not allowed: must be Object or Auto for a namespaced XR (crossplane-system/acme may compose only into its own namespace)',
      }),
    ]);
    expect(res.desired?.resources).toEqual({});
  });
});
