/**
 * A Crossplane v2 control plane set up as the README tells a user to: Crossplane with its own
 * chart RBAC (not cluster-admin), the Gateway API CRDs, the cluster prerequisites, the function
 * registered the way Crossplane finds a function, then examples/xrd.yaml, composition.yaml and
 * rbac.yaml.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ControlPlane, REPO } from './cluster.js';
import { K, type Kube, type Obj, waitFor } from './kube.js';

export interface V2 {
  cp: ControlPlane;
  admin: Kube;
  /** Crossplane's own identity (its service account's token). */
  crossplane: Kube;
}

export const EXAMPLES = join(REPO, 'examples');
export const FIXTURES = join(REPO, 'test', 'e2e', 'fixtures');

export interface V2Options {
  /** Apply examples/rbac.yaml (default true); scenario 2 leaves it out to show what it grants. */
  examplesRbac?: boolean;
  /** XRD and Composition files (default the cluster-scoped examples). */
  apis?: string[];
  /** Install provider-kubernetes's CRDs before Crossplane starts. */
  providerKubernetesCrds?: boolean;
  /** Runs after Crossplane starts and before the controller manager (e.g. provider-kubernetes). */
  beforeControllerManager?: (cp: ControlPlane) => Promise<void>;
  /** Register the function through a paused FunctionRevision (default true). */
  functionRevision?: boolean;
  /** Options for 'core start'. */
  crossplaneArgs?: string[];
  caBundle?: string;
}

export async function startV2(name: string, o: V2Options = {}): Promise<V2> {
  const cp = new ControlPlane({ name });
  try {
    await cp.start();
    const admin = cp.admin;
    await cp.installCrossplaneRbac();
    await cp.applyCrds(cp.tools.gatewayApiCrds);
    if (o.providerKubernetesCrds) await cp.applyProviderKubernetesCrds();
    const xp = await cp.serviceAccountKubeconfig('crossplane-system', 'crossplane');
    const rbacManager = await cp.serviceAccountKubeconfig('crossplane-system', 'rbac-manager');
    if (o.functionRevision !== false) {
      const endpoint = await cp.startFunction();
      await cp.startCrossplane(xp, {
        ...(o.crossplaneArgs ? { args: o.crossplaneArgs } : {}),
        ...(o.caBundle ? { caBundle: o.caBundle } : {}),
      });
      await cp.registerFunctionRevision(endpoint);
    } else {
      await cp.startFunction();
      await cp.startCrossplane(xp, {
        ...(o.crossplaneArgs ? { args: o.crossplaneArgs } : {}),
        ...(o.caBundle ? { caBundle: o.caBundle } : {}),
      });
    }
    await cp.startRbacManager(rbacManager);
    await admin.apply([join(FIXTURES, 'prerequisites.yaml')]);
    const apis = o.apis ?? [join(EXAMPLES, 'xrd.yaml'), join(EXAMPLES, 'composition.yaml')];
    await admin.apply([...apis, ...(o.examplesRbac === false ? [] : [join(EXAMPLES, 'rbac.yaml')])]);
    await waitXrdReady(admin);
    if (o.beforeControllerManager) await o.beforeControllerManager(cp);
    await cp.startControllerManager();
    return { cp, admin, crossplane: xp.kube };
  } catch (e) {
    const diag = cp.diagnostics();
    await cp.stop();
    throw new Error(`${(e as Error).message}\n${diag}`, { cause: e });
  }
}

/** Every XRD Established and Offered, and the XR CRD Crossplane made from it Established. */
export async function waitXrdReady(admin: Kube, timeoutMs = 90_000): Promise<void> {
  const xrds = await admin.list(K.xrd);
  for (const x of xrds) {
    const name = (x['metadata'] as Obj)['name'] as string;
    await waitFor(
      `XRD ${name} Established`,
      async () => {
        const cur = await admin.get(K.xrd, undefined, name);
        const conds = ((cur?.['status'] as Obj | undefined)?.['conditions'] as { type: string; status: string }[] | undefined) ?? [];
        return conds.some((c) => c.type === 'Established' && c.status === 'True') ? true : undefined;
      },
      timeoutMs,
    );
    const crd = await waitFor('XR CRD', () => admin.get(K.crd, undefined, name), timeoutMs);
    void crd;
  }
}

/**
 * Applies an example XR as a user would, less metadata.uid: examples/xr.yaml carries a fixed
 * uid so that crossplane render (and its goldens) see the tenant-uid label, but the API server
 * refuses an apply whose uid names no existing object ("uid mismatch").
 */
export async function applyExample(admin: Kube, file: string): Promise<void> {
  for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const doc = d.toJSON() as Obj | null;
    if (doc === null) continue;
    const m = doc['metadata'] as Obj | undefined;
    if (m !== undefined) delete m['uid'];
    await admin.applyDoc(doc);
  }
}
