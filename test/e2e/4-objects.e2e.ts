/**
 * Scenario 4: Object mode through a real provider-kubernetes (built from its Go module at the
 * version the examples' Object CRDs come from, run out of cluster): a namespaced Crossplane v2
 * PLANAClient, and a Crossplane v1.20 claim. Both end Ready with the tenant's real objects;
 * deleting them removes those objects and keeps the data; two tenants in two namespaces cannot
 * take each other's objects.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane, REPO } from './cluster.js';
import { condition, field, K, type Kind, type Kube, meta, type Obj, waitFor } from './kube.js';
import { playGateway, playJob, waitConditions } from './play.js';
import { EXAMPLES, FIXTURES, startV2, type V2, waitXrdReady } from './v2.js';

const nameOf = (o: Obj): string => meta(o)['name'] as string;
const uidOf = (o: Obj): string => meta(o)['uid'] as string;

/** The manifests the provider created for a tenant named after `subdomain` (PLANA's naming). */
async function realObjects(kube: Kube, subdomain: string): Promise<{ route?: Obj; cronJob?: Obj; job?: Obj }> {
  const route = await kube.get(K.httpRoute, 'plana-odoo-18', subdomain);
  const cronJob = await kube.get(K.cronJob, 'backup', `backup-${subdomain}`);
  const jobs = (await kube.list(K.job, 'crossplane-system')).filter((j) => nameOf(j).startsWith(`filestore-${subdomain}-`));
  return { ...(route ? { route } : {}), ...(cronJob ? { cronJob } : {}), ...(jobs[0] ? { job: jobs[0] } : {}) };
}

async function playAll(kube: Kube, subdomain: string): Promise<void> {
  const o = await waitFor(`${subdomain}'s real HTTPRoute, CronJob and Job (created by provider-kubernetes)`, async () => {
    const r = await realObjects(kube, subdomain);
    return r.route && r.cronJob && r.job ? r : undefined;
  }, 90_000);
  await playGateway(kube, 'plana-odoo-18', subdomain);
  await playJob(kube, 'crossplane-system', nameOf(o.job!), 'Complete');
}

/** Namespaces, claims and Secrets the README lists as prerequisites: deletion must leave them. */
async function data(kube: Kube): Promise<string[]> {
  const pvcs = [...(await kube.list(K.pvc, 'crossplane-system')), ...(await kube.list(K.pvc, 'backup'))].map((o) => `pvc/${meta(o)['namespace']}/${nameOf(o)}`);
  const secrets = (await kube.list(K.secret, 'backup')).map((o) => `secret/${nameOf(o)}`);
  const ns = (await kube.list(K.namespace)).map((o) => `ns/${nameOf(o)}`);
  return [...pvcs, ...secrets, ...ns].sort();
}

// Not yet passing, so not in the default run (E2E_OBJECTS=1 runs it): out of cluster,
// provider-kubernetes v1.2.0 binds its metrics to :8080 with no flag to move it (v1.3.1 has one
// but cannot be built here), the port Crossplane's RBAC manager also takes; and Crossplane
// v1.20's 'core init' reads its CRDs from a fixed /crds. See /work/notes/issue-11.md.
const objects = process.env['E2E_OBJECTS'] === '1';

describe.runIf(objects)('scenario 4a: a namespaced v2 PLANAClient through namespaced Objects', () => {
  let env: V2;
  beforeAll(async () => {
    env = await startV2('objects-v2', {
      apis: [join(EXAMPLES, 'namespaced', 'xrd.yaml'), join(EXAMPLES, 'composition.yaml')],
      providerKubernetesCrds: true,
      beforeControllerManager: async (cp) => {
        await cp.startProviderKubernetes();
        await cp.admin.applyDoc({
          apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
          kind: 'ClusterProviderConfig',
          metadata: { name: 'default' },
          spec: { credentials: { source: 'Secret', secretRef: { namespace: 'crossplane-system', name: 'provider-kubernetes-kubeconfig', key: 'kubeconfig' } } },
        });
      },
    });
  }, 420_000);
  afterAll(async () => {
    await env?.cp.stop();
  });

  it('examples/namespaced/xr.yaml ends Ready with the real HTTPRoute, CronJob and Job', async () => {
    await env.admin.apply([join(EXAMPLES, 'namespaced', 'xr.yaml')]);
    const objects = await waitFor('three namespaced Objects in crossplane-system', async () => {
      const l = await env.admin.list(K.objectNs, 'crossplane-system', 'crossplane.io/composite=acme');
      return l.length === 3 ? l : undefined;
    });
    expect(objects.map((o) => field(o, 'spec', 'forProvider', 'manifest', 'kind')).sort()).toEqual(['CronJob', 'HTTPRoute', 'Job']);
    await playAll(env.admin, 'acme');
    await waitConditions(env.admin, K.planaClientNs, 'crossplane-system', 'acme', [
      { type: 'Ready', status: 'True' },
      { type: 'RouteReady', status: 'True' },
      { type: 'FilestoreReady', status: 'True' },
    ], 120_000);
  });

  it('a tenant of the same name in another namespace cannot take acme\'s objects, nor delete them', async () => {
    const before = await realObjects(env.admin, 'acme');
    const uids = [before.route, before.cronJob, before.job].map((o) => uidOf(o!));
    await env.admin.applyDoc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'intruder' } });
    await env.admin.applyDoc({
      apiVersion: 'planapulse.com/v1alpha1',
      kind: 'PLANAClient',
      metadata: { name: 'acme', namespace: 'intruder' },
      spec: { subdomain: 'acme', projectId: 666, tier: 'starter', odooVersion: '18' },
    });
    // Give Crossplane and the provider time to act on the intruder (several provider polls).
    const intruder = await waitFor('the intruder XR to be reconciled', async () => {
      const x = await env.admin.get(K.planaClientNs, 'intruder', 'acme');
      return condition(x, 'Synced') ? x : undefined;
    }, 60_000);
    await new Promise((r) => setTimeout(r, 15_000));
    expect(condition(await env.admin.get(K.planaClientNs, 'intruder', 'acme'), 'Ready')?.status).not.toBe('True');
    void intruder;
    const during = await realObjects(env.admin, 'acme');
    expect(field(during.cronJob, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', '0', 'env')).toEqual(
      field(before.cronJob, 'spec', 'jobTemplate', 'spec', 'template', 'spec', 'containers', '0', 'env'),
    );
    expect(meta(during.route!)['labels']).toEqual(meta(before.route!)['labels']);

    await env.admin.delete(K.planaClientNs, 'intruder', 'acme');
    await waitFor('the intruder to be gone', async () => ((await env.admin.get(K.planaClientNs, 'intruder', 'acme')) === undefined ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 10_000));
    const after = await realObjects(env.admin, 'acme');
    expect([after.route, after.cronJob, after.job].map((o) => (o ? uidOf(o) : 'deleted'))).toEqual(uids);
  });

  it('deleting the XR removes its Objects and the real objects, and keeps the data', async () => {
    const kept = await data(env.admin);
    await env.admin.delete(K.planaClientNs, 'crossplane-system', 'acme');
    await waitFor('acme, its Objects and its real objects to be gone', async () => {
      const xr = await env.admin.get(K.planaClientNs, 'crossplane-system', 'acme');
      const objs = await env.admin.list(K.objectNs, 'crossplane-system', 'crossplane.io/composite=acme');
      const real = await realObjects(env.admin, 'acme');
      return xr === undefined && objs.length === 0 && !real.route && !real.cronJob && !real.job ? true : undefined;
    }, 120_000);
    expect(await data(env.admin)).toEqual(kept);
  });
});

describe.runIf(objects)('scenario 4b: a Crossplane v1.20 claim through cluster-scoped Objects', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = new ControlPlane({ name: 'objects-v1' });
    try {
      const t = cp.tools;
      if (!t.crossplaneV1 || !t.crossplaneV1Crds || !t.providerKubernetesCrds) throw new Error('Crossplane v1 or provider-kubernetes is not installed: scripts/install-e2e-tools.sh');
      await cp.start();
      await cp.installCrossplaneRbac();
      await cp.applyCrds(t.gatewayApiCrds);
      await cp.applyProviderKubernetesCrds();
      const xp = await cp.serviceAccountKubeconfig('crossplane-system', 'crossplane');
      const rbac = await cp.serviceAccountKubeconfig('crossplane-system', 'rbac-manager');
      const endpoint = await cp.startFunction();
      await cp.startCrossplane(xp, { bin: t.crossplaneV1, crds: t.crossplaneV1Crds });
      await cp.registerFunctionRevision(endpoint);
      await cp.startRbacManager(rbac, t.crossplaneV1);
      await cp.admin.apply([join(FIXTURES, 'prerequisites.yaml')]);
      await cp.admin.apply([join(EXAMPLES, 'v1', 'xrd.yaml'), join(EXAMPLES, 'v1', 'composition.yaml')]);
      await waitXrdReady(cp.admin);
      await cp.startProviderKubernetes();
      await cp.admin.applyDoc({
        apiVersion: 'kubernetes.crossplane.io/v1alpha1',
        kind: 'ProviderConfig',
        metadata: { name: 'default' },
        spec: { credentials: { source: 'Secret', secretRef: { namespace: 'crossplane-system', name: 'provider-kubernetes-kubeconfig', key: 'kubeconfig' } } },
      });
      await cp.startControllerManager();
    } catch (e) {
      const diag = cp.diagnostics();
      await cp.stop();
      throw new Error(`${(e as Error).message}\n${diag}`);
    }
  }, 420_000);
  afterAll(async () => {
    await cp?.stop();
  });

  const claimKind: Kind = { group: 'planapulse.com', version: 'v1alpha1', plural: 'planaclientclaims', namespaced: true };

  it('a claim acme in namespace sales ends Ready with the real objects', async () => {
    await cp.admin.applyDoc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sales' } });
    await cp.admin.applyDoc({
      apiVersion: 'planapulse.com/v1alpha1',
      kind: 'PLANAClientClaim',
      metadata: { name: 'acme', namespace: 'sales' },
      spec: { subdomain: 'acme', projectId: 23, tier: 'pro', odooVersion: '18' },
    });
    // Crossplane names the composite acme-<suffix>: the tenant must still be composed.
    const claim = await waitFor('the claim to be bound to a composite', async () => {
      const c = await cp.admin.get(claimKind, 'sales', 'acme');
      return field(c, 'spec', 'resourceRef', 'name') ? c : undefined;
    });
    expect(String(field(claim, 'spec', 'resourceRef', 'name'))).toMatch(/^acme-/);
    await playAll(cp.admin, 'acme').catch(async (e: Error) => {
      const c = await cp.admin.get(claimKind, 'sales', 'acme');
      throw new Error(`${e.message}\nclaim conditions: ${JSON.stringify(field(c, 'status', 'conditions'))}`);
    });
    await waitConditions(cp.admin, claimKind, 'sales', 'acme', [
      { type: 'Ready', status: 'True' },
      { type: 'RouteReady', status: 'True' },
    ], 120_000);
    const objects = await cp.admin.list(K.object);
    expect(objects.map((o) => field(o, 'spec', 'forProvider', 'manifest', 'kind')).sort()).toEqual(['CronJob', 'HTTPRoute', 'Job']);
  });

  it('deleting the claim removes the composite, its Objects and the real objects, and keeps the data', async () => {
    const kept = await data(cp.admin);
    await cp.admin.delete(claimKind, 'sales', 'acme');
    await waitFor('the claim, its Objects and the real objects to be gone', async () => {
      const c = await cp.admin.get(claimKind, 'sales', 'acme');
      const objs = await cp.admin.list(K.object);
      const real = await realObjects(cp.admin, 'acme');
      return c === undefined && objs.length === 0 && !real.route && !real.cronJob && !real.job ? true : undefined;
    }, 120_000);
    expect(await data(cp.admin)).toEqual(kept);
  });
});

void REPO;
