/**
 * The tenant's HTTPRoute (DESIGN §4; PLANA's Envoy Gateway): one route per tenant in its version
 * namespace, attached to the shared Gateway once per listener its hostnames need.
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

/** The Gateway listeners the tenant's hostnames need, in hostname order, each once. */
export function parentRefs(tenant: Tenant, input: Input): ParentRef[] {
  const sections: string[] = [];
  for (const host of tenant.hostnames) {
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

export function buildRoute(tenant: Tenant, input: Input): IHTTPRoute {
  // Odoo runs with dbfilter=^%h$: the Host header picks the database. An alias host would pick
  // a database that does not exist, so when a tenant has aliases every rule rewrites the Host to
  // the canonical one (a no-op for requests that already use it).
  const filters =
    tenant.hostnames.length > 1
      ? { filters: [{ type: 'URLRewrite' as const, urlRewrite: { hostname: tenant.database } }] }
      : {};
  const rule = (path: string, port: number) => ({
    matches: [{ path: { type: 'PathPrefix' as const, value: path } }],
    ...filters,
    backendRefs: [{ name: input.odoo.service, port }],
  });
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: {
      name: tenant.subdomain,
      namespace: tenant.namespace,
      labels: tenantLabels(tenant, 'route'),
    },
    spec: {
      parentRefs: parentRefs(tenant, input),
      hostnames: [...tenant.hostnames],
      rules: [rule('/websocket', input.odoo.websocketPort), rule('/', input.odoo.httpPort)],
    },
  };
}
