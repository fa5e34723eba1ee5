/**
 * Scenario 4: Object mode through a real provider-kubernetes (built from its Go module at the
 * version the examples' Object CRDs come from, run out of cluster): a namespaced Crossplane v2
 * PLANAClient, and a Crossplane v1.20 claim. Both end Ready with the tenant's real objects;
 * deleting them removes those objects and keeps the data; two tenants in two namespaces cannot
 * take each other's objects.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlPlane } from './cluster.js';
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
  const o = await waitFor(
    `${subdomain}'s real HTTPRoute, CronJob and Job (created by provider-kubernetes)`,
    async () => {
      const r = await realObjects(kube, subdomain);
      return r.route && r.cronJob && r.job ? r : undefined;
    },
    90_000,
  );
  await playGateway(kube, 'plana-odoo-18', subdomain);
  await playJob(kube, 'crossplane-system', nameOf(o.job!), 'Complete');
}

/**
 * Every Object Synced and Ready by provider-kubernetes's own verdict: the readiness policy the
 * function put on each Object (a CEL query over the observed manifest, src/output.ts), evaluated
 * by the provider. The XR's Ready comes from the function instead, so this is what shows the
 * policies themselves are right.
 */
async function waitObjectsReady(kube: Kube, kind: Kind, namespace?: string): Promise<void> {
  let last: Obj[] = [];
  await waitFor(
    'every Object Synced=True and Ready=True (provider-kubernetes)',
    async () => {
      last = await kube.list(kind, namespace);
      return last.length === 3 && last.every((o) => condition(o, 'Synced')?.status === 'True' && condition(o, 'Ready')?.status === 'True')
        ? true
        : undefined;
    },
    60_000,
  ).catch((e: Error) => {
    const seen = last.map((o) => `${nameOf(o)}: ${JSON.stringify(field(o, 'status', 'conditions'))}`).join('\n');
    throw new Error(`${e.message}\n${seen}`);
  });
}

/** Namespaces, claims and Secrets the README lists as prerequisites: deletion must leave them. */
async function data(kube: Kube): Promise<string[]> {
  const pvcs = [...(await kube.list(K.pvc, 'crossplane-system')), ...(await kube.list(K.pvc, 'backup'))].map(
    (o) => `pvc/${String(meta(o)['namespace'])}/${nameOf(o)}`,
  );
  const secrets = (await kube.list(K.secret, 'backup')).map((o) => `secret/${nameOf(o)}`);
  const ns = (await kube.list(K.namespace)).map((o) => `ns/${nameOf(o)}`);
  return [...pvcs, ...secrets, ...ns].sort();
}

const PLANACLIENT_CLAIM: Kind = { group: 'planapulse.com', version: 'v1alpha1', plural: 'planaclientclaims', namespaced: true };

/** examples/composition.yaml with more namespaces in tenants.namespaces, as a platform team adds one. */
function compositionAllowing(namespaces: string[]): Obj {
  const doc = parseYaml(readFileSync(join(EXAMPLES, 'composition.yaml'), 'utf8')) as Obj;
  const step = (field(doc, 'spec', 'pipeline') as Obj[])[0] as Obj;
  ((step['input'] as Obj)['tenants'] as Obj)['namespaces'] = namespaces;
  return doc;
}

/** acme's three real objects, by uid, with the fields another tenant's would change. */
async function fingerprint(kube: Kube, subdomain: string): Promise<string[]> {
  const r = await realObjects(kube, subdomain);
  return [r.route, r.cronJob, r.job].map((o) =>
    o === undefined ? 'missing' : `${uidOf(o)} ${JSON.stringify(meta(o)['labels'])} ${JSON.stringify(o['spec'])}`,
  );
}

describe('scenario 4a: a namespaced v2 PLANAClient through namespaced Objects', () => {
  let env: V2;
  beforeAll(async () => {
    env = await startV2('objects-v2', {
      apis: [join(EXAMPLES, 'namespaced', 'xrd.yaml'), join(EXAMPLES, 'composition.yaml')],
      // Object mode, as the README says: examples/rbac-object-mode.yaml (applied with the
      // provider), not examples/rbac.yaml, whose rights would hide a missing one.
      examplesRbac: false,
      providerKubernetesCrds: true,
      beforeControllerManager: async (cp) => {
        await cp.startProviderKubernetes();
        await cp.admin.applyDoc({
          apiVersion: 'kubernetes.m.crossplane.io/v1alpha1',
          kind: 'ClusterProviderConfig',
          metadata: { name: 'default' },
          spec: {
            credentials: {
              source: 'Secret',
              secretRef: { namespace: 'crossplane-system', name: 'provider-kubernetes-kubeconfig', key: 'kubeconfig' },
            },
          },
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
    const xr = await env.admin.mustGet(K.planaClientNs, 'crossplane-system', 'acme');
    await playAll(env.admin, 'acme');
    await waitConditions(
      env.admin,
      K.planaClientNs,
      'crossplane-system',
      'acme',
      [
        { type: 'Ready', status: 'True' },
        { type: 'RouteReady', status: 'True' },
        { type: 'FilestoreReady', status: 'True' },
      ],
      120_000,
    );
    await waitObjectsReady(env.admin, K.objectNs, 'crossplane-system');
    // The real objects are provider-kubernetes's, made from the Objects' manifests: each carries
    // the XR's UID (the ownership label) and no owner reference to the Object or the XR.
    const real = await realObjects(env.admin, 'acme');
    for (const o of [real.route, real.cronJob, real.job]) {
      expect(meta(o!)['labels']).toMatchObject({ 'planapulse.com/tenant-uid': uidOf(xr) });
    }
    expect(field(real.route, 'spec', 'hostnames')).toEqual(['acme.planapulse.app']);
  });

  it("a tenant of the same name in another namespace can neither take acme's objects nor delete them", async () => {
    const before = await fingerprint(env.admin, 'acme');
    await env.admin.applyDoc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'rivals' } });
    const rival = {
      apiVersion: 'planapulse.com/v1alpha1',
      kind: 'PLANAClient',
      metadata: { name: 'acme', namespace: 'rivals' },
      spec: { subdomain: 'acme', projectId: 666, tier: 'starter', odooVersion: '18' },
    };
    await env.admin.applyDoc(rival);
    // A namespace the Composition does not list holds no tenants at all.
    await waitConditions(env.admin, K.planaClientNs, 'rivals', 'acme', [
      { type: 'Synced', status: 'False', message: 'input.tenants.namespaces' },
    ]);
    // Listed too (two teams' namespaces): the function finds acme's route, CronJob and Job
    // through Crossplane, each with acme's UID, and refuses them all (ResourceConflict).
    await env.admin.applyDoc(compositionAllowing(['crossplane-system', 'rivals']));
    const refused = await waitConditions(
      env.admin,
      K.planaClientNs,
      'rivals',
      'acme',
      [
        {
          type: 'Synced',
          status: 'False',
          message: 'HTTPRoute plana-odoo-18/acme already exists and belongs to the tenant whose XR has UID',
        },
      ],
      120_000,
    );
    const msg = condition(refused, 'Synced')?.message ?? '';
    expect(msg).toContain('CronJob backup/backup-acme already exists');
    expect(msg).toMatch(/Job crossplane-system\/filestore-acme-[0-9a-f]+ already exists/);
    expect(await env.admin.list(K.objectNs, 'rivals')).toEqual([]);
    // Several provider polls (5 s) later, acme's objects are as they were.
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await fingerprint(env.admin, 'acme')).toEqual(before);

    await env.admin.delete(K.planaClientNs, 'rivals', 'acme');
    await waitFor(
      'the rival XR to be gone',
      async () => ((await env.admin.get(K.planaClientNs, 'rivals', 'acme')) === undefined ? true : undefined),
      60_000,
    );
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await fingerprint(env.admin, 'acme')).toEqual(before);
    await waitConditions(env.admin, K.planaClientNs, 'crossplane-system', 'acme', [{ type: 'Ready', status: 'True' }]);
  });

  it('deleting the XR removes its Objects and the real objects, and keeps the data', async () => {
    expect(await fingerprint(env.admin, 'acme')).not.toContain('missing');
    const kept = await data(env.admin);
    await env.admin.delete(K.planaClientNs, 'crossplane-system', 'acme');
    await waitFor(
      'acme, its Objects and its real objects to be gone',
      async () => {
        const xr = await env.admin.get(K.planaClientNs, 'crossplane-system', 'acme');
        const objs = await env.admin.list(K.objectNs, 'crossplane-system', 'crossplane.io/composite=acme');
        const real = await realObjects(env.admin, 'acme');
        return xr === undefined && objs.length === 0 && !real.route && !real.cronJob && !real.job ? true : undefined;
      },
      120_000,
    );
    expect(await data(env.admin)).toEqual(kept);
  });
});

describe('scenario 4b: a Crossplane v1.20 claim through cluster-scoped Objects', () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = new ControlPlane({ name: 'objects-v1' });
    try {
      const t = cp.tools;
      if (!t.crossplaneV1 || !t.crossplaneV1Crds || !t.providerKubernetesCrds)
        throw new Error('Crossplane v1 or provider-kubernetes is not installed: scripts/install-e2e-tools.sh');
      await cp.start();
      await cp.installCrossplaneRbac(true);
      await cp.applyCrds(t.gatewayApiCrds);
      await cp.applyProviderKubernetesCrds();
      const xp = await cp.serviceAccountKubeconfig('crossplane-system', 'crossplane');
      const rbac = await cp.serviceAccountKubeconfig('crossplane-system', 'rbac-manager');
      const endpoint = await cp.startFunction();
      await cp.startCrossplane(xp, { bin: t.crossplaneV1, crds: t.crossplaneV1Crds, v1: true });
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
        spec: {
          credentials: {
            source: 'Secret',
            secretRef: { namespace: 'crossplane-system', name: 'provider-kubernetes-kubeconfig', key: 'kubeconfig' },
          },
        },
      });
      await cp.startControllerManager();
    } catch (e) {
      const diag = cp.diagnostics();
      await cp.stop();
      throw new Error(`${(e as Error).message}\n${diag}`, { cause: e });
    }
  }, 420_000);
  afterAll(async () => {
    await cp?.stop();
  });

  const claimKind = PLANACLIENT_CLAIM;

  /** A PLANAClientClaim acme in a namespace of its own, once Crossplane has bound it to a composite. */
  async function claimAcme(namespace: string, spec: Record<string, unknown>): Promise<Obj> {
    await cp.admin.applyDoc({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    await cp.admin.applyDoc({
      apiVersion: 'planapulse.com/v1alpha1',
      kind: 'PLANAClientClaim',
      metadata: { name: 'acme', namespace },
      spec,
    });
    return waitFor(`${namespace}/acme to be bound to a composite`, async () => {
      const c = await cp.admin.get(claimKind, namespace, 'acme');
      return field(c, 'spec', 'resourceRef', 'name') ? c : undefined;
    });
  }

  it('a claim acme in namespace sales ends Ready with the real objects', async () => {
    const claim = await claimAcme('sales', { subdomain: 'acme', projectId: 23, tier: 'pro', odooVersion: '18' });
    // Crossplane names the composite acme-<suffix>: the tenant must still be composed.
    expect(String(field(claim, 'spec', 'resourceRef', 'name'))).toMatch(/^acme-/);
    await playAll(cp.admin, 'acme').catch(async (e: Error) => {
      const c = await cp.admin.get(claimKind, 'sales', 'acme');
      throw new Error(`${e.message}\nclaim conditions: ${JSON.stringify(field(c, 'status', 'conditions'))}`);
    });
    await waitConditions(
      cp.admin,
      claimKind,
      'sales',
      'acme',
      [
        { type: 'Ready', status: 'True' },
        { type: 'RouteReady', status: 'True' },
      ],
      120_000,
    );
    const objects = await cp.admin.list(K.object);
    expect(objects.map((o) => field(o, 'spec', 'forProvider', 'manifest', 'kind')).sort()).toEqual(['CronJob', 'HTTPRoute', 'Job']);
    await waitObjectsReady(cp.admin, K.object);
  });

  it("a claim acme in another namespace (marketing) cannot take sales/acme's Objects or objects", async () => {
    const before = await fingerprint(cp.admin, 'acme');
    const salesXr = String(field(await cp.admin.mustGet(claimKind, 'sales', 'acme'), 'spec', 'resourceRef', 'name'));
    const claim = await claimAcme('marketing', { subdomain: 'acme', projectId: 666, tier: 'starter', odooVersion: '18' });
    const xrName = String(field(claim, 'spec', 'resourceRef', 'name'));
    // Crossplane v1.20 fetches a required object by name only, without its namespace
    // (internal/controller/apiextensions/composite/extra_resources.go), so the function's
    // ownership check sees none of acme's namespaced objects and composes the same Objects. What
    // stops the takeover is the Objects' cluster-wide names: the second composite's apply would
    // add a second controller reference, and the API server refuses it.
    await waitConditions(
      cp.admin,
      K.planaClient,
      undefined,
      xrName,
      [
        { type: 'Synced', status: 'False' },
        { type: 'Ready', status: 'False' },
      ],
      120_000,
    );
    const events = (await cp.admin.list(K.event, 'default'))
      .filter((e) => field(e, 'involvedObject', 'name') === xrName)
      .map((e) => String(e['message']));
    expect(events.join('\n')).toMatch(
      /Object\.kubernetes\.crossplane\.io "plana-acme-route-[0-9a-f]+" is invalid: metadata\.ownerReferences.*Only one reference can have Controller set to true/,
    );
    for (const o of await cp.admin.list(K.object)) {
      expect((meta(o)['ownerReferences'] as Obj[]).map((r) => r['name'])).toEqual([salesXr]);
    }
    await new Promise((r) => setTimeout(r, 12_000));
    expect(await fingerprint(cp.admin, 'acme')).toEqual(before);

    await cp.admin.delete(claimKind, 'marketing', 'acme');
    await waitFor(
      'marketing/acme and its composite to be gone',
      async () =>
        (await cp.admin.get(claimKind, 'marketing', 'acme')) === undefined &&
        (await cp.admin.get(K.planaClient, undefined, xrName)) === undefined
          ? true
          : undefined,
      90_000,
    );
    await new Promise((r) => setTimeout(r, 6_000));
    expect(await fingerprint(cp.admin, 'acme')).toEqual(before);
    expect((await cp.admin.list(K.object)).length).toBe(3);
    await waitConditions(cp.admin, claimKind, 'sales', 'acme', [{ type: 'Ready', status: 'True' }]);
  });

  it('deleting the claim removes the composite, its Objects and the real objects, and keeps the data', async () => {
    expect(await fingerprint(cp.admin, 'acme')).not.toContain('missing');
    const kept = await data(cp.admin);
    await cp.admin.delete(claimKind, 'sales', 'acme');
    await waitFor(
      'the claim, its Objects and the real objects to be gone',
      async () => {
        const c = await cp.admin.get(claimKind, 'sales', 'acme');
        const objs = await cp.admin.list(K.object);
        const real = await realObjects(cp.admin, 'acme');
        return c === undefined && objs.length === 0 && !real.route && !real.cronJob && !real.job ? true : undefined;
      },
      120_000,
    );
    expect(await data(cp.admin)).toEqual(kept);
  });
});
