/**
 * HTTPRoute readiness: for each of our parentRefs, the Gateway reports Accepted=True and
 * ResolvedRefs=True for the route's current generation (Gateway API's route status,
 * https://gateway-api.sigs.k8s.io/reference/spec/#routeparentstatus); or, for gateways that
 * write no route status, as soon as it exists. The predicate and its CEL twin say the same.
 */
import { isObject, type Obj } from '../obj.js';
import type { ParentRef } from '../plan.js';
import { conditionsOf, explain, findCondition, verdict, type Policy, type Readiness, type Verdict } from './verdict.js';

export type RouteReadiness = 'RouteStatus' | 'Exists';

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
export function routePolicy(refs: readonly ParentRef[], mode: RouteReadiness): Policy {
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

/** The readiness of a route attached through `refs`. */
export const httpRouteReadiness = (refs: readonly ParentRef[], mode: RouteReadiness): Readiness => ({
  judge: (observed) => routeVerdict(observed, refs, mode),
  policy: routePolicy(refs, mode),
});
