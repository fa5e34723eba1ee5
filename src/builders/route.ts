/**
 * The tenant's HTTPRoutes (PLANA's Envoy Gateway): the canonical route in the tenant's version
 * namespace, attached to the shared Gateway on the primary domain's listener; and, when the
 * tenant has alias domains, a second route that answers every alias host with a redirect to the
 * canonical host.
 *
 * Alias hosts are redirected, never rewritten: Odoo picks the database by the Host header
 * (dbfilter=^%h$), Envoy Gateway keeps the original host in X-Forwarded-Host on a rewrite, and
 * Odoo in proxy mode puts it back into Host, so a rewrite would select a database named after
 * the alias. A redirect route has no backend: nothing of an alias request reaches Odoo.
 */
import type { IHTTPRoute } from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute';
import type { RedirectPlan, RoutePlan } from '../plan.js';

/** Gateway API's "0s": no request timeout at all. */
const NO_TIMEOUT = '0s';

type Rules = NonNullable<NonNullable<IHTTPRoute['spec']>['rules']>;

/** An HTTPRoute of the tenant's with these rules. */
function route(plan: RoutePlan | RedirectPlan, rules: Rules): IHTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: plan.name, namespace: plan.namespace, labels: { ...plan.labels } },
    spec: { parentRefs: plan.parentRefs.map((ref) => ({ ...ref })), hostnames: [...plan.hostnames], rules },
  };
}

export function buildRoute(plan: RoutePlan): IHTTPRoute {
  return route(plan, [
    // A websocket stays open for as long as the browser tab does: a request timeout would cut
    // every Odoo live-update channel.
    {
      matches: [{ path: { type: 'PathPrefix', value: '/websocket' } }],
      backendRefs: [{ name: plan.service, port: plan.websocketPort }],
      timeouts: { request: NO_TIMEOUT },
    },
    {
      matches: [{ path: { type: 'PathPrefix', value: '/' } }],
      backendRefs: [{ name: plan.service, port: plan.httpPort }],
      timeouts: { request: plan.requestTimeout },
    },
  ]);
}

/**
 * The route that redirects the tenant's alias hosts to `https://{canonical host}`, path and query
 * kept (a RequestRedirect without a path modifier keeps both).
 */
export function buildRedirectRoute(plan: RedirectPlan): IHTTPRoute {
  return route(plan, [
    { filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: plan.toHost, statusCode: plan.statusCode } }] },
  ]);
}
