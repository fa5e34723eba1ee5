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
import type { Input } from '../input/schema.js';
import type { Tenant } from '../tenant.js';
import { tenantLabels } from './common.js';

export interface ParentRef {
  readonly group: 'gateway.networking.k8s.io';
  readonly kind: 'Gateway';
  readonly name: string;
  readonly namespace: string;
  readonly sectionName: string;
}

/** Gateway API's "0s": no request timeout at all. */
const NO_TIMEOUT = '0s';

/** The Gateway listeners `hosts` need, in hostname order, each once. */
export function parentRefs(tenant: Tenant, input: Input, hosts: readonly string[]): ParentRef[] {
  const sections: string[] = [];
  for (const host of hosts) {
    const domain = host.slice(tenant.subdomain.length + 1);
    const listener = input.gateway.listeners.find((l) => l.domain === domain);
    // parseTenant admits only hostnames on a listener domain, so this always finds one.
    if (listener !== undefined && !sections.includes(listener.sectionName)) sections.push(listener.sectionName);
  }
  return sections.map((sectionName) => ({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    name: input.gateway.name,
    namespace: input.gateway.namespace,
    sectionName,
  }));
}

/** The canonical host only: the one host Odoo serves. */
export const canonicalHosts = (tenant: Tenant): readonly string[] => tenant.hostnames.slice(0, 1);

/** The alias hosts, each redirected to the canonical host; empty for most tenants. */
export const aliasHosts = (tenant: Tenant): readonly string[] => tenant.hostnames.slice(1);

export function buildRoute(tenant: Tenant, input: Input): IHTTPRoute {
  const hosts = canonicalHosts(tenant);
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: tenant.subdomain,
      namespace: tenant.namespace,
      labels: tenantLabels(tenant, 'route'),
    },
    spec: {
      parentRefs: parentRefs(tenant, input, hosts),
      hostnames: [...hosts],
      rules: [
        // A websocket stays open for as long as the browser tab does: a request timeout would
        // cut every Odoo live-update channel.
        {
          matches: [{ path: { type: 'PathPrefix', value: '/websocket' } }],
          backendRefs: [{ name: input.odoo.service, port: input.odoo.websocketPort }],
          timeouts: { request: NO_TIMEOUT },
        },
        {
          matches: [{ path: { type: 'PathPrefix', value: '/' } }],
          backendRefs: [{ name: input.odoo.service, port: input.odoo.httpPort }],
          timeouts: { request: input.gateway.requestTimeout },
        },
      ],
    },
  };
}

/**
 * The route that redirects the tenant's alias hosts to `https://{canonical host}`, path and query
 * kept (a RequestRedirect without a path modifier keeps both), or undefined without aliases.
 */
export function buildRedirectRoute(tenant: Tenant, input: Input): IHTTPRoute | undefined {
  const hosts = aliasHosts(tenant);
  if (hosts.length === 0) return undefined;
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      // A subdomain has no dot, so no tenant's canonical route can ever have this name.
      name: `${tenant.subdomain}.aliases`,
      namespace: tenant.namespace,
      labels: tenantLabels(tenant, 'redirect'),
    },
    spec: {
      parentRefs: parentRefs(tenant, input, hosts),
      hostnames: [...hosts],
      rules: [
        {
          filters: [
            {
              type: 'RequestRedirect',
              requestRedirect: { scheme: 'https', hostname: tenant.database, statusCode: input.gateway.aliasRedirectStatusCode },
            },
          ],
        },
      ],
    },
  };
}
