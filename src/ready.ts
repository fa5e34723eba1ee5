/**
 * Readiness rules as data (DESIGN §5): one small rule per composed kind, each from the observed
 * object to a verdict with a CamelCase reason and a stable message (no timestamps: a message
 * that changes on every call makes the XR's conditions flap).
 */
import type { ParentRef } from './builders/route.js';
import { isObject, type Obj } from './obj.js';

export interface Verdict {
  readonly ready: boolean;
  /** Something went wrong that waiting alone will not fix: reported as a Warning result. */
  readonly degraded: boolean;
  readonly reason: string;
  readonly message: string;
}


interface Condition {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration: number | undefined;
}


const verdict = (ready: boolean, degraded: boolean, reason: string, message: string): Verdict => ({ ready, degraded, reason, message });

/** Conditions of a status block, tolerating any shape an observed object may have. */
export function conditionsOf(holder: unknown): Condition[] {
  const list = isObject(holder) ? holder['conditions'] : undefined;
  if (!Array.isArray(list)) return [];
  return list.filter(isObject).map((c) => ({
    type: String(c['type'] ?? ''),
    status: String(c['status'] ?? ''),
    reason: typeof c['reason'] === 'string' ? c['reason'] : '',
    message: typeof c['message'] === 'string' ? c['message'] : '',
    observedGeneration: typeof c['observedGeneration'] === 'number' ? c['observedGeneration'] : undefined,
  }));
}

/** "Reason: message" of an observed condition, as its controller wrote them. */
const explain = (c: Condition): string => [c.reason || 'no reason given', c.message].filter((part) => part !== '').join(': ');

const findCondition = (conditions: readonly Condition[], type: string): Condition | undefined => conditions.find((c) => c.type === type);

// Gateway API defaults an omitted parentRef namespace to the route's own namespace and group
// and kind to gateway.networking.k8s.io/Gateway; the controller echoes our parentRef back.
function sameParent(status: Obj, ref: ParentRef, routeNamespace: string): boolean {
  const p = status['parentRef'];
  if (!isObject(p)) return false;
  return (
    p['name'] === ref.name &&
    (p['namespace'] ?? routeNamespace) === ref.namespace &&
    p['sectionName'] === ref.sectionName &&
    (p['group'] ?? 'gateway.networking.k8s.io') === ref.group &&
    (p['kind'] ?? 'Gateway') === ref.kind
  );
}

export type RouteReadiness = 'RouteStatus' | 'Exists';

/**
 * The HTTPRoute is ready when, for each of our parentRefs, the Gateway reports Accepted=True and
 * ResolvedRefs=True for the route's current generation; or, for gateways that write no route
 * status, as soon as it exists.
 */
export function routeVerdict(observed: Obj | undefined, refs: readonly ParentRef[], mode: RouteReadiness): Verdict {
  if (observed === undefined) return verdict(false, false, 'Creating', 'the HTTPRoute has not been created yet');
  if (mode === 'Exists') return verdict(true, false, 'Exists', 'the HTTPRoute exists (the gateway reports no route status)');

  const metadata = isObject(observed['metadata']) ? observed['metadata'] : {};
  const generation = typeof metadata['generation'] === 'number' ? metadata['generation'] : undefined;
  const namespace = typeof metadata['namespace'] === 'string' ? metadata['namespace'] : '';
  const status = isObject(observed['status']) ? observed['status'] : {};
  const parents = Array.isArray(status['parents']) ? status['parents'].filter(isObject) : [];

  for (const ref of refs) {
    const where = `listener ${ref.sectionName} of Gateway ${ref.namespace}/${ref.name}`;
    const parent = parents.find((p) => sameParent(p, ref, namespace));
    if (parent === undefined) return verdict(false, false, 'AwaitingGateway', `${where} has not reported on the HTTPRoute yet`);
    const conditions = conditionsOf(parent);
    const accepted = findCondition(conditions, 'Accepted');
    const resolved = findCondition(conditions, 'ResolvedRefs');
    const stale = [accepted, resolved].some(
      (c) => c !== undefined && generation !== undefined && c.observedGeneration !== undefined && c.observedGeneration < generation,
    );
    if (stale) return verdict(false, false, 'AwaitingGateway', `${where} has not reported on the HTTPRoute's latest generation yet`);
    if (accepted?.status === 'False') {
      return verdict(false, true, 'RouteRejected', `${where} rejected the HTTPRoute: ${explain(accepted)}`);
    }
    if (resolved?.status === 'False') {
      return verdict(false, true, 'UnresolvedRefs', `${where} cannot resolve the HTTPRoute's backends: ${explain(resolved)}`);
    }
    if (accepted?.status !== 'True' || resolved?.status !== 'True') {
      return verdict(false, false, 'AwaitingGateway', `${where} has not accepted the HTTPRoute and resolved its backends yet`);
    }
  }
  return verdict(true, false, 'Accepted', `the gateway accepted the HTTPRoute on ${refs.map((r) => r.sectionName).join(', ')}`);
}

/** The filestore Job is ready when Complete=True; Failed=True is degraded. */
export function jobVerdict(observed: Obj | undefined): Verdict {
  if (observed === undefined) return verdict(false, false, 'Creating', 'the filestore Job has not been created yet');
  const conditions = conditionsOf(observed['status']);
  if (findCondition(conditions, 'Complete')?.status === 'True') {
    return verdict(true, false, 'Created', 'the filestore directory exists and is writable');
  }
  const failed = findCondition(conditions, 'Failed');
  if (failed?.status === 'True') {
    return verdict(false, true, 'JobFailed', `the filestore Job failed: ${explain(failed)}`);
  }
  return verdict(false, false, 'Running', 'the filestore Job is running');
}

/** The backup CronJob is a schedule, not a run: it is ready once it exists. */
export function cronJobVerdict(observed: Obj | undefined): Verdict {
  if (observed === undefined) return verdict(false, false, 'Creating', 'the backup CronJob has not been created yet');
  return verdict(true, false, 'Scheduled', 'the backup CronJob exists');
}
