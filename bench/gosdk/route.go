package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// parentRefs are the Gateway listeners that hosts need, in hostname order, each once.
func parentRefs(t *Tenant, hosts []string) []gatewayv1.ParentReference {
	var sections []string
	for _, h := range hosts {
		s := listenerFor(h[len(t.subdomain)+1:])
		if s != "" && !contains(sections, s) {
			sections = append(sections, s)
		}
	}
	refs := make([]gatewayv1.ParentReference, 0, len(sections))
	for _, s := range sections {
		refs = append(refs, gatewayv1.ParentReference{
			Group:       ptr.To(gatewayv1.Group(gatewayGroup)),
			Kind:        ptr.To(gatewayv1.Kind("Gateway")),
			Name:        gatewayName,
			Namespace:   ptr.To(gatewayv1.Namespace(gatewayNamespace)),
			SectionName: ptr.To(gatewayv1.SectionName(s)),
		})
	}
	return refs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hostnames(hosts []string) []gatewayv1.Hostname {
	out := make([]gatewayv1.Hostname, len(hosts))
	for i, h := range hosts {
		out[i] = gatewayv1.Hostname(h)
	}
	return out
}

func prefixMatch(path string) []gatewayv1.HTTPRouteMatch {
	return []gatewayv1.HTTPRouteMatch{{Path: &gatewayv1.HTTPPathMatch{Type: ptr.To(gatewayv1.PathMatchPathPrefix), Value: ptr.To(path)}}}
}

func backend(port int32) []gatewayv1.HTTPBackendRef {
	return []gatewayv1.HTTPBackendRef{{BackendRef: gatewayv1.BackendRef{BackendObjectReference: gatewayv1.BackendObjectReference{
		Name: odooService,
		Port: ptr.To(gatewayv1.PortNumber(port)),
	}}}}
}

// buildRoute is the canonical HTTPRoute: the websocket rule without a request timeout (a
// websocket stays open as long as the tab), everything else with PLANA's 300 s.
func buildRoute(t *Tenant) *gatewayv1.HTTPRoute {
	hosts := t.hostnames[:1]
	return &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: t.subdomain, Namespace: t.namespace, Labels: tenantLabels(t, "route")},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: parentRefs(t, hosts)},
			Hostnames:       hostnames(hosts),
			Rules: []gatewayv1.HTTPRouteRule{
				{Matches: prefixMatch("/websocket"), BackendRefs: backend(odooWebsocketPort), Timeouts: &gatewayv1.HTTPRouteTimeouts{Request: ptr.To(gatewayv1.Duration("0s"))}},
				{Matches: prefixMatch("/"), BackendRefs: backend(odooHTTPPort), Timeouts: &gatewayv1.HTTPRouteTimeouts{Request: ptr.To(gatewayv1.Duration(requestTimeout))}},
			},
		},
	}
}

// buildRedirectRoute answers the alias hosts with a redirect to the canonical host, or nil.
func buildRedirectRoute(t *Tenant) *gatewayv1.HTTPRoute {
	hosts := t.hostnames[1:]
	if len(hosts) == 0 {
		return nil
	}
	return &gatewayv1.HTTPRoute{
		ObjectMeta: metav1.ObjectMeta{Name: t.subdomain + ".aliases", Namespace: t.namespace, Labels: tenantLabels(t, "redirect")},
		Spec: gatewayv1.HTTPRouteSpec{
			CommonRouteSpec: gatewayv1.CommonRouteSpec{ParentRefs: parentRefs(t, hosts)},
			Hostnames:       hostnames(hosts),
			Rules: []gatewayv1.HTTPRouteRule{{Filters: []gatewayv1.HTTPRouteFilter{{
				Type: gatewayv1.HTTPRouteFilterRequestRedirect,
				RequestRedirect: &gatewayv1.HTTPRequestRedirectFilter{
					Scheme:     ptr.To("https"),
					Hostname:   ptr.To(gatewayv1.PreciseHostname(t.database)),
					StatusCode: ptr.To(redirectStatus),
				},
			}}}},
		},
	}
}

// podLabels: what never changes for one Job (its pod template is immutable).
func podLabels(t *Tenant, component string) map[string]string {
	return map[string]string{
		"app.kubernetes.io/name":       "plana-tenant",
		"app.kubernetes.io/instance":   t.subdomain,
		"app.kubernetes.io/component":  component,
		"app.kubernetes.io/managed-by": "function-plana-tenant",
		"planapulse.com/tenant":        t.subdomain,
	}
}

// tenantLabels: podLabels plus tier, version and project id.
func tenantLabels(t *Tenant, component string) map[string]string {
	l := podLabels(t, component)
	l["planapulse.com/tier"] = t.tier
	l["planapulse.com/odoo-version"] = t.version
	l["planapulse.com/project-id"] = itoa(t.projectID)
	return l
}
