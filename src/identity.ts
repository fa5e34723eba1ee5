/**
 * Which object a pipeline name denotes, and whose it is.
 *
 * Crossplane keeps an existing composed resource's name and namespace for its pipeline name
 * (crossplane v2.3.4, internal/controller/apiextensions/composite/composition_functions.go:
 * "If this desired resource state pertains to an existing composed resource we want to maintain
 * its name and namespace"). So a pipeline name must always denote one object identity: group,
 * kind, namespace and name, and for a provider-kubernetes Object also its manifest's. Whatever
 * moves an object (an Odoo upgrade moves the route to another namespace) gets a new pipeline
 * name, and Crossplane deletes the old object and creates the new one.
 */
import { createHash } from 'node:crypto';
import { isObject, type Obj } from './obj.js';

/** Every object this function composes carries its XR's UID under this label. */
export const TENANT_UID_LABEL = 'planapulse.com/tenant-uid';

const OBJECT_GROUPS = ['kubernetes.crossplane.io', 'kubernetes.m.crossplane.io'];

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const groupOf = (apiVersion: unknown): string => {
  const v = str(apiVersion);
  return v.includes('/') ? v.slice(0, v.indexOf('/')) : '';
};
const metadataOf = (o: Obj): Obj => (isObject(o['metadata']) ? o['metadata'] : {});

/** `group/kind/namespace/name` of a plain object. */
function plainKey(o: Obj): string {
  const m = metadataOf(o);
  return [groupOf(o['apiVersion']), str(o['kind']), str(m['namespace']), str(m['name'])].join('/');
}

const isProviderObject = (o: Obj): boolean => o['kind'] === 'Object' && OBJECT_GROUPS.includes(groupOf(o['apiVersion']));

/** The manifest a provider-kubernetes Object manages, as its spec holds it. */
export function manifestOf(o: Obj): Obj | undefined {
  const spec = o['spec'];
  const forProvider = isObject(spec) ? spec['forProvider'] : undefined;
  const manifest = isObject(forProvider) ? forProvider['manifest'] : undefined;
  return isObject(manifest) ? manifest : undefined;
}

/**
 * The identity a pipeline name stands for. An Object's own name is made from its pipeline name
 * (src/output.ts), so its identity is its group and kind plus the identity of what it manages.
 */
export function identityKey(composed: Obj): string {
  if (!isProviderObject(composed)) return plainKey(composed);
  return objectKey(composed['apiVersion'], manifestOf(composed));
}

/** The identity of a provider-kubernetes Object of `apiVersion` that manages `manifest`. */
export const objectKey = (apiVersion: unknown, manifest: Obj | undefined): string =>
  `${groupOf(apiVersion)}/Object[${manifest === undefined ? '' : plainKey(manifest)}]`;

/**
 * The pipeline name for the identity `key`: the name under which the observed state already holds
 * exactly this identity, if any (so an object made under an earlier name is kept, not deleted
 * and made again), else `{prefix}-{8 hex digits of the identity}`.
 */
export function pipelineName(prefix: string, key: string, observed: Readonly<Record<string, { resource?: Obj | undefined }>>): string {
  for (const [name, state] of Object.entries(observed)) {
    if ((name === prefix || name.startsWith(`${prefix}-`)) && isObject(state.resource) && identityKey(state.resource) === key) return name;
  }
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
}

/** A copy of a manifest with the tenant UID label set (when the XR has a UID). */
export function withTenantUid<T extends object>(manifest: T, uid: string | undefined): T {
  if (uid === undefined) return manifest;
  const m = manifest as Obj;
  const metadata = metadataOf(m);
  const labels = isObject(metadata['labels']) ? metadata['labels'] : {};
  return { ...m, metadata: { ...metadata, labels: { ...labels, [TENANT_UID_LABEL]: uid } } } as T;
}

/** `Kind namespace/name` of a plain object, for messages. */
export function describeObject(o: Obj): string {
  const m = metadataOf(o);
  const ns = str(m['namespace']);
  return `${str(o['kind'])} ${ns === '' ? '' : `${ns}/`}${str(m['name'])}`;
}

/**
 * Why `existing` (an object found where this tenant's object belongs) is not this tenant's to
 * manage, or undefined when it is: it carries this XR's UID. An object without the label was made
 * by someone else (a person, another tool, a tenant composed before the label existed and since
 * lost), and provider-kubernetes and Crossplane would both adopt it silently.
 */
export function notOurs(existing: Obj, uid: string | undefined): string | undefined {
  const owner = tenantUidOf(existing);
  if (uid !== undefined && owner === uid) return undefined;
  const whose =
    typeof owner === 'string'
      ? `belongs to the tenant whose XR has UID ${JSON.stringify(owner)}`
      : `has no ${TENANT_UID_LABEL} label, so this function did not create it for any tenant`;
  return `${describeObject(existing)} already exists and ${whose}: refusing to take it over (delete it, or label it ${TENANT_UID_LABEL}=${uid ?? "<this XR's UID>"} if it is this tenant's)`;
}

/**
 * Why an object already composed under our pipeline name is not ours after all, or undefined:
 * only an object that carries another tenant's UID says so (objects composed before the label
 * existed carry none).
 */
export function anotherTenants(observed: Obj, uid: string | undefined): string | undefined {
  return uid === undefined || tenantUidOf(observed) === undefined ? undefined : notOurs(observed, uid);
}

function tenantUidOf(o: Obj): unknown {
  const labels = metadataOf(o)['labels'];
  return isObject(labels) ? labels[TENANT_UID_LABEL] : undefined;
}
