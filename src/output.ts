/**
 * Output modes (DESIGN §6): the builders always make the plain objects; in Object mode this
 * layer wraps each in a provider-kubernetes Object, for Crossplane v1 and for namespaced XRs
 * (which may compose only into their own namespace). Readiness works on the plain object
 * either way: `observedManifest` unwraps what provider-kubernetes observed.
 */
import type { ParentRef } from './builders/route.js';
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

/** A condition of the route's current generation (src/ready.ts ignores stale ones too). */
const currentConditionTrue = (type: string): string =>
  `p.conditions.exists(c, c.type == '${type}' && c.status == 'True' && ` +
  `(!has(c.observedGeneration) || !has(object.metadata.generation) || c.observedGeneration >= object.metadata.generation))`;

/**
 * Accepted and ResolvedRefs, for the route's current generation, from our Gateway on every
 * listener the route attaches to: the same rule as routeVerdict in src/ready.ts, with Gateway
 * API's defaults for an omitted parentRef namespace (the route's), group and kind. Names and
 * section names are DNS names and labels, so they need no quoting beyond the single quotes.
 */
export function routeReadiness(refs: readonly ParentRef[], mode: Input['gateway']['readiness']): Readiness {
  if (mode === 'Exists') return { policy: 'SuccessfulCreate' };
  const gateway = refs[0];
  const list = refs.map((r) => `'${r.sectionName}'`).join(', ');
  return {
    policy: 'DeriveFromCelQuery',
    celQuery:
      `has(object.status) && has(object.status.parents) && [${list}].all(s, object.status.parents.exists(p, ` +
      `p.parentRef.name == '${gateway?.name ?? ''}' && ` +
      `(has(p.parentRef.namespace) ? p.parentRef.namespace : object.metadata.namespace) == '${gateway?.namespace ?? ''}' && ` +
      `(has(p.parentRef.group) ? p.parentRef.group : 'gateway.networking.k8s.io') == 'gateway.networking.k8s.io' && ` +
      `(has(p.parentRef.kind) ? p.parentRef.kind : 'Gateway') == 'Gateway' && ` +
      `has(p.parentRef.sectionName) && p.parentRef.sectionName == s && has(p.conditions) && ` +
      `${currentConditionTrue('Accepted')} && ${currentConditionTrue('ResolvedRefs')}))`,
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
