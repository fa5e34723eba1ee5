/**
 * Output modes (README: Output modes): the builders always make the plain objects; in Object mode
 * this layer wraps each in a provider-kubernetes Object, for Crossplane v1 and for namespaced XRs
 * (which may compose only into their own namespace). Readiness works on the plain object either
 * way: `observedManifest` unwraps what provider-kubernetes observed.
 */
import { isObject, type Obj } from './obj.js';
import type { OutputPlan } from './plan.js';
import type { Policy } from './readiness/verdict.js';

/**
 * The provider-kubernetes Object that manages `manifest` under the pipeline name `pipelineName`:
 * cluster-scoped kubernetes.crossplane.io/v1alpha2 for cluster and legacy XRs (Crossplane v1);
 * namespaced kubernetes.m.crossplane.io/v1alpha1 in the XR's namespace for a namespaced XR.
 */
export function wrap(manifest: Obj, pipelineName: string, readiness: Policy, output: OutputPlan): Obj {
  const metadata = isObject(manifest['metadata']) ? manifest['metadata'] : {};
  const name = `${output.objectNamePrefix}${pipelineName}`;
  return {
    apiVersion: output.objectApiVersion,
    kind: 'Object',
    metadata:
      output.objectNamespace === undefined
        ? { name, labels: metadata['labels'] }
        : { name, namespace: output.objectNamespace, labels: metadata['labels'] },
    spec: { forProvider: { manifest }, readiness, providerConfigRef: { ...output.providerConfigRef } },
  };
}

/** The observed object itself, or what provider-kubernetes observed of the object an Object wraps. */
export function observedManifest(observed: unknown): Obj | undefined {
  if (!isObject(observed)) return undefined;
  if (observed['kind'] !== 'Object') return observed;
  const apiVersion = typeof observed['apiVersion'] === 'string' ? observed['apiVersion'] : '';
  if (!apiVersion.startsWith('kubernetes.crossplane.io/') && !apiVersion.startsWith('kubernetes.m.crossplane.io/')) return observed;
  const status = observed['status'];
  const atProvider = isObject(status) ? status['atProvider'] : undefined;
  const manifest = isObject(atProvider) ? atProvider['manifest'] : undefined;
  return isObject(manifest) ? manifest : undefined;
}
