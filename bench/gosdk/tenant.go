package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/crossplane/function-sdk-go/resource/composite"
)

// Tenant is the XR resolved once: everything after parseTenant works on valid data only
// (src/tenant.ts is the original).
type Tenant struct {
	xrName, xrNamespace, uid string
	subdomain                string
	projectID                int64
	tier, version            string
	namespace, claim         string
	database                 string
	hostnames                []string // canonical first, then the aliases in the XR's order
	suspended                bool
	createdAt                time.Time // zero when the XR has none
}

var subdomainRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

const subdomainMax = 30

// fieldErrors collects "field: value is not allowed: must be ..." messages, so that one Fatal
// names every field to fix (src/errors.ts writes the same text).
type fieldErrors []string

func (e *fieldErrors) add(field string, value any, present bool, allowed string) {
	if !present {
		*e = append(*e, fmt.Sprintf("%s: is required and must be %s", field, allowed))
		return
	}
	*e = append(*e, fmt.Sprintf("%s: %s is not allowed: must be %s", field, describe(value), allowed))
}

func (e fieldErrors) Error() string { return strings.Join(e, "; ") }

// describe renders a user value as src/errors.ts describeValue does (JSON for strings).
func describe(v any) string {
	var shown string
	switch x := v.(type) {
	case nil:
		shown = "null"
	case string:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(x)
		shown = strings.TrimSuffix(b.String(), "\n")
	case float64:
		shown = fmt.Sprint(x)
	case bool:
		shown = fmt.Sprint(x)
	case []any:
		shown = fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		shown = "an object"
	default:
		shown = fmt.Sprintf("a %T", x)
	}
	if r := []rune(shown); len(r) > 64 {
		return fmt.Sprintf("%s…(%d characters)", string(r[:64]), len(r))
	}
	return shown
}

// errInvalid carries the Fatal reason with the message.
type errInvalid struct {
	reason string
	msg    string
}

func (e errInvalid) Error() string { return e.msg }

func parseTenant(xr *composite.Unstructured, s settings) (*Tenant, error) {
	spec, ok := xr.Object["spec"].(map[string]any)
	if !ok {
		return nil, errInvalid{"InvalidSpec", fmt.Sprintf("spec: %s is not allowed: must be an object with subdomain, projectId and tier", describe(xr.Object["spec"]))}
	}
	t := &Tenant{xrName: xr.GetName(), xrNamespace: xr.GetNamespace(), uid: string(xr.GetUID())}
	var errs fieldErrors

	labels := xr.GetLabels()
	claimName, hasClaimName := labels["crossplane.io/claim-name"]
	_, hasClaimNS := labels["crossplane.io/claim-namespace"]
	isClaim := hasClaimName && hasClaimNS

	sub, isString := spec["subdomain"].(string)
	_, present := spec["subdomain"]
	switch {
	case !isString || len(sub) > subdomainMax || !subdomainRE.MatchString(sub):
		errs.add("spec.subdomain", spec["subdomain"], present, fmt.Sprintf("a DNS label of lowercase letters, digits and inner hyphens, at most %d characters", subdomainMax))
		sub = ""
	case slices.Contains(s.reserved, sub):
		errs.add("spec.subdomain", sub, true, fmt.Sprintf("a name the platform does not reserve (reserved: %s)", strings.Join(s.reserved, ", ")))
		sub = ""
	}
	if sub != "" && s.requireNameMatch {
		rule := fmt.Sprintf("%s, the XR's spec.subdomain: a tenant is named after its subdomain (input.tenants.requireNameMatch)", describe(sub))
		if isClaim {
			if claimName != sub {
				errs.add(`metadata.labels["crossplane.io/claim-name"]`, claimName, true, "the claim's name "+rule)
			}
		} else if name, has := xr.Object["metadata"].(map[string]any)["name"]; !has || name != sub {
			errs.add("metadata.name", name, has, rule)
		}
	}
	if t.xrNamespace != "" && !slices.Contains(s.namespaces, t.xrNamespace) {
		allowed := fmt.Sprintf("one of the namespaces in input.tenants.namespaces (%s)", strings.Join(s.namespaces, ", "))
		if len(s.namespaces) == 0 {
			allowed = "a namespace listed in input.tenants.namespaces, which lists none: namespaced PLANAClients are refused until the Composition names the namespaces that may hold tenants"
		}
		errs.add("metadata.namespace", t.xrNamespace, true, allowed)
	}

	pid, isNumber := spec["projectId"].(float64)
	_, present = spec["projectId"]
	if !isNumber || pid != float64(int64(pid)) || pid < 1 || pid > 1<<53-1 {
		errs.add("spec.projectId", spec["projectId"], present, "a positive integer")
	}
	t.projectID = int64(pid)

	tier, isString := spec["tier"].(string)
	_, present = spec["tier"]
	if _, known := retentionDays[tier]; !isString || !known {
		errs.add("spec.tier", spec["tier"], present, "one of starter, pro, enterprise")
	}
	t.tier = tier

	version := defaultOdoo
	rawVersion, present := spec["odooVersion"]
	if present {
		version, _ = rawVersion.(string)
	}
	v, known := odooVersions[version]
	if !known {
		errs.add("spec.odooVersion", rawVersion, present, `a string, one of "17", "18", "19"`)
	}
	t.version, t.namespace, t.claim = version, v.namespace, v.claim

	for _, key := range []string{"ownerEmail", "ownerName"} {
		if value, has := spec[key]; has {
			if _, ok := value.(string); !ok {
				errs.add("spec."+key, value, true, "a string")
			}
		}
	}

	var aliases []string
	if raw, has := spec["aliasDomains"]; has {
		allowed := "a list of distinct alias domains, each one of planapulse.online, planapulse.dev"
		list, ok := raw.([]any)
		if !ok {
			errs.add("spec.aliasDomains", raw, true, allowed)
		}
		for i, d := range list {
			domain, ok := d.(string)
			if !ok || domain == primaryDomain || listenerFor(domain) == "" || slices.Contains(aliases, domain) {
				errs.add(fmt.Sprintf("spec.aliasDomains[%d]", i), d, true, allowed)
				continue
			}
			aliases = append(aliases, domain)
		}
	}

	if raw, has := spec["backup"]; has {
		b, ok := raw.(map[string]any)
		if !ok {
			errs.add("spec.backup", raw, true, "an object")
		} else if s, has := b["suspend"]; has {
			suspend, ok := s.(bool)
			if !ok {
				errs.add("spec.backup.suspend", s, true, "true or false")
			}
			t.suspended = suspend
		}
	}
	if len(errs) > 0 {
		return nil, errInvalid{"InvalidSpec", errs.Error()}
	}

	t.subdomain = sub
	if t.xrName == "" {
		t.xrName = sub
	}
	t.database = sub + "." + primaryDomain
	t.hostnames = append(make([]string, 0, 1+len(aliases)), t.database)
	for _, d := range aliases {
		t.hostnames = append(t.hostnames, sub+"."+d)
	}
	if ts := xr.GetCreationTimestamp(); !ts.IsZero() {
		t.createdAt = ts.Time
	}
	return t, nil
}

// listenerFor is the Gateway listener that serves a domain, or "".
func listenerFor(domain string) string {
	for _, l := range listeners {
		if l.domain == domain {
			return l.section
		}
	}
	return ""
}
