/**
 * Output modes (DESIGN §6): the builders always make the plain objects; in Object mode this
 * layer wraps each in a provider-kubernetes Object, for Crossplane v1 and for namespaced XRs
 * (which may compose only into their own namespace). Readiness works on the plain object
 * either way: `observedManifest` unwraps what provider-kubernetes observed.
 */
import type { Input } from './input/schema.js';
import type { Tenant } from './tenant.js';
import { isObject, type Obj } from './obj.js';

export type Mode = 'Direct' | 'Object';


/** Auto: a namespaced XR can only compose into its namespace, so it needs Objects. */
export function outputMode(tenant: Tenant, input: Input): Mode {
  if (input.output.mode !== 'Auto') return input.output.mode;
  return tenant.xrNamespace === undefined ? 'Direct' : 'Object';
}

/**
 * How provider-kubernetes judges the wrapped object ready, mirroring src/ready.ts:
 * `SuccessfulCreate` when existence is enough, else a CEL query over the observed manifest.
 */
export type Readiness = { readonly policy: 'SuccessfulCreate' } | { readonly policy: 'DeriveFromCelQuery'; readonly celQuery: string };

const conditionTrue = (holder: string, type: string): string =>
  `${holder}.conditions.exists(c, c.type == '${type}' && c.status == 'True')`;

/** Accepted and ResolvedRefs on every listener the route attaches to. Section names are DNS labels. */
export function routeReadiness(sections: readonly string[], mode: Input['gateway']['readiness']): Readiness {
  if (mode === 'Exists') return { policy: 'SuccessfulCreate' };
  const list = sections.map((s) => `'${s}'`).join(', ');
  return {
    policy: 'DeriveFromCelQuery',
    celQuery:
      `has(object.status) && has(object.status.parents) && [${list}].all(s, object.status.parents.exists(p, ` +
      `has(p.parentRef.sectionName) && p.parentRef.sectionName == s && has(p.conditions) && ` +
      `${conditionTrue('p', 'Accepted')} && ${conditionTrue('p', 'ResolvedRefs')}))`,
  };
}

/** A Job has no Ready condition: Complete=True is what ready means. */
export const JOB_READINESS: Readiness = {
  policy: 'DeriveFromCelQuery',
  celQuery: `has(object.status) && has(object.status.conditions) && ${conditionTrue('object.status', 'Complete')}`,
};

/** A CronJob is a schedule: it is ready once it exists. */
export const CRONJOB_READINESS: Readiness = { policy: 'SuccessfulCreate' };

/** Cluster-scoped Objects for cluster and legacy XRs; namespaced ones for a namespaced XR. */
export const objectApiVersion = (tenant: Tenant): string =>
  tenant.xrNamespace === undefined ? 'kubernetes.crossplane.io/v1alpha2' : 'kubernetes.m.crossplane.io/v1alpha1';

/**
 * The provider-kubernetes Object that manages `manifest`. Cluster-scoped
 * kubernetes.crossplane.io/v1alpha2 for cluster and legacy XRs (Crossplane v1); namespaced
 * kubernetes.m.crossplane.io/v1alpha1 in the XR's namespace for a namespaced XR.
 */
export function wrap(manifest: Obj, suffix: string, readiness: Readiness, tenant: Tenant, input: Input): Obj {
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  // Cluster-scoped Object names are cluster-wide: prefix them with the tenant.
  const name = `plana-${tenant.subdomain}-${suffix}`;
  const spec = {
    forProvider: { manifest },
    readiness,
  };
  if (tenant.xrNamespace === undefined) {
    return {
      apiVersion: objectApiVersion(tenant),
      kind: 'Object',
      metadata: { name, labels: metadata['labels'] },
      spec: { ...spec, providerConfigRef: { name: input.output.providerConfigName } },
    };
  }
  return {
    apiVersion: objectApiVersion(tenant),
    kind: 'Object',
    metadata: { name, namespace: tenant.xrNamespace, labels: metadata['labels'] },
    spec: { ...spec, providerConfigRef: { kind: input.output.providerConfigKind, name: input.output.providerConfigName } },
  };
}

/** The observed object itself, or what provider-kubernetes observed of the object an Object wraps. */
export function observedManifest(observed: unknown): Obj | undefined {
  if (!isObject(observed)) return undefined;
  if (observed['kind'] !== 'Object') return observed;
  const apiVersion = String(observed['apiVersion'] ?? '');
  if (!apiVersion.startsWith('kubernetes.crossplane.io/') && !apiVersion.startsWith('kubernetes.m.crossplane.io/')) return observed;
  const status = observed['status'];
  const atProvider = isObject(status) ? status['atProvider'] : undefined;
  const manifest = isObject(atProvider) ? atProvider['manifest'] : undefined;
  return isObject(manifest) ? manifest : undefined;
}
