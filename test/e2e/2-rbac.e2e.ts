/**
 * Scenario 2: Crossplane runs with the RBAC a real install gives it — its Helm chart's ClusterRole
 * with the aggregation rule (test/e2e/fixtures/crossplane-chart-rbac.yaml), the RBAC manager's
 * per-XRD roles — plus what the README tells users to install, examples/rbac.yaml. Not
 * cluster-admin: without examples/rbac.yaml it cannot compose a tenant, and each rule of it is
 * needed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { condition, field, K, type Kube, meta, type Obj, waitFor } from './kube.js';
import { waitConditions } from './play.js';
import { EXAMPLES, startV2, type V2 } from './v2.js';

let env: V2;

beforeAll(async () => {
  env = await startV2('rbac', { examplesRbac: false });
}, 300_000);

afterAll(async () => {
  await env?.cp.stop();
});

async function can(kube: Kube, verb: string, group: string, resource: string, namespace?: string): Promise<boolean> {
  const r = await kube.call('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SelfSubjectAccessReview',
    spec: { resourceAttributes: { verb, group, resource, ...(namespace ? { namespace } : {}) } },
  });
  return field(r, 'status', 'allowed') === true;
}

const examplesRbac = (): Obj => parseAllDocuments(readFileSync(join(EXAMPLES, 'rbac.yaml'), 'utf8'))[0]!.toJSON() as Obj;

const tenant = (name: string): Obj => ({
  apiVersion: 'planapulse.com/v1alpha1',
  kind: 'PLANAClient',
  metadata: { name },
  spec: { subdomain: name, projectId: 9, tier: 'pro' },
});

describe("scenario 2: Crossplane with its chart's RBAC and examples/rbac.yaml, not cluster-admin", () => {
  it('runs as a service account that is not cluster-admin', async () => {
    expect(await can(env.crossplane, 'create', 'rbac.authorization.k8s.io', 'clusterrolebindings')).toBe(false);
    expect(await can(env.crossplane, 'create', '', 'pods', 'default')).toBe(false);
    expect(await can(env.crossplane, 'delete', '', 'namespaces')).toBe(false);
    // What the chart gives it, and what the RBAC manager added for the PLANAClient XRD.
    expect(await can(env.crossplane, 'create', 'apiextensions.k8s.io', 'customresourcedefinitions')).toBe(true);
    await waitFor('the RBAC manager to grant Crossplane the PLANAClient type', async () =>
      (await can(env.crossplane, 'update', 'planapulse.com', 'planaclients')) ? true : undefined,
    );
  });

  it('cannot compose a tenant from the chart RBAC alone', async () => {
    expect(await can(env.crossplane, 'create', 'gateway.networking.k8s.io', 'httproutes', 'plana-odoo-18')).toBe(false);
    expect(await can(env.crossplane, 'list', 'batch', 'jobs')).toBe(false);
    await env.admin.applyDoc(tenant('gamma'));
    // Crossplane v2.3.4 cannot even start its watch on HTTPRoutes: the XR gets its finalizer and
    // nothing else (its reconcile times out after 2 minutes); no object is created.
    await waitFor('Crossplane to take gamma (its finalizer)', async () => {
      const x = await env.admin.get(K.planaClient, undefined, 'gamma');
      return ((meta(x ?? {})['finalizers'] as string[] | undefined) ?? []).length > 0 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 15_000));
    const xr = await env.admin.mustGet(K.planaClient, undefined, 'gamma');
    expect(condition(xr, 'Synced')?.status).not.toBe('True');
    expect(condition(xr, 'Ready')?.status).not.toBe('True');
    for (const k of [K.httpRoute, K.cronJob, K.job])
      expect(await env.admin.list(k, undefined, 'crossplane.io/composite=gamma')).toEqual([]);
  });

  it('composes and reports the tenant once examples/rbac.yaml is applied as it stands', async () => {
    await env.admin.apply([join(EXAMPLES, 'rbac.yaml')]);
    for (const [g, r, ns] of [
      ['gateway.networking.k8s.io', 'httproutes', 'plana-odoo-18'],
      ['batch', 'cronjobs', 'backup'],
      ['batch', 'jobs', 'crossplane-system'],
    ] as const) {
      await waitFor(`Crossplane allowed to create ${r}`, async () => ((await can(env.crossplane, 'create', g, r, ns)) ? true : undefined));
    }
    // The aggregated ClusterRole 'crossplane' now holds the examples' rules.
    const resources = await waitFor("the examples' rules in the aggregated ClusterRole crossplane", async () => {
      const agg = await env.admin.get(K.clusterRole, undefined, 'crossplane');
      const rs = ((agg?.['rules'] as Obj[] | undefined) ?? []).flatMap((r) => (r['resources'] as string[] | undefined) ?? []);
      return rs.includes('httproutes') ? rs : undefined;
    });
    expect(resources).toEqual(expect.arrayContaining(['httproutes', 'cronjobs', 'jobs']));

    await waitConditions(
      env.admin,
      K.planaClient,
      undefined,
      'gamma',
      [
        { type: 'Synced', status: 'True' },
        { type: 'RouteReady', status: 'False', reason: 'AwaitingGateway' },
      ],
      180_000,
    );
    const sel = 'crossplane.io/composite=gamma';
    expect((await env.admin.list(K.httpRoute, undefined, sel)).length).toBe(1);
    expect((await env.admin.list(K.cronJob, undefined, sel)).length).toBe(1);
    expect((await env.admin.list(K.job, undefined, sel)).length).toBe(1);
  });

  it.each([
    ['httproutes', 'gateway.networking.k8s.io', 'plana-odoo-18'],
    ['cronjobs', 'batch', 'backup'],
    ['jobs', 'batch', 'crossplane-system'],
  ])('needs the rule for %s: with every other rule of examples/rbac.yaml, a new tenant fails, naming it', async (resource, group, ns) => {
    const role = examplesRbac();
    const rules = (role['rules'] as { apiGroups: string[]; resources: string[]; verbs: string[] }[])
      .map((r) => ({ ...r, resources: r.resources.filter((x) => x !== resource) }))
      .filter((r) => r.resources.length > 0);
    await env.admin.applyDoc({ ...role, rules });
    await waitFor(`aggregation to drop ${resource}`, async () =>
      (await can(env.crossplane, 'create', group, resource, ns)) ? undefined : true,
    );
    // A fresh tenant: Crossplane must create every object of it.
    const name = `no-${resource}`;
    await env.admin.applyDoc(tenant(name));
    await waitConditions(env.admin, K.planaClient, undefined, name, [{ type: 'Synced', status: 'False', message: resource }], 180_000);
    await env.admin.delete(K.planaClient, undefined, name);
    await env.admin.apply([join(EXAMPLES, 'rbac.yaml')]);
  });
});
