package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/function-sdk-go/errors"
	"github.com/crossplane/function-sdk-go/logging"
	v1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"
	"github.com/crossplane/function-sdk-go/response"
	"google.golang.org/protobuf/types/known/durationpb"
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// composed.From needs each typed object's GVK from composed.Scheme (as in
// function-patch-and-transform, which adds its own types the same way).
func init() {
	if err := batchv1.AddToScheme(composed.Scheme); err != nil {
		panic(err)
	}
	if err := gatewayv1.Install(composed.Scheme); err != nil {
		panic(err)
	}
}

// Function is the peer's FunctionRunnerService.
type Function struct {
	v1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
}

// prefixes of the pipeline names this step owns: `{prefix}-{8 hex digits of the identity}`.
var prefixes = []string{"route", "redirect", "backup", "filestore"}

func ownsName(name string) bool {
	for _, p := range prefixes {
		if name == p || strings.HasPrefix(name, p+"-") {
			return true
		}
	}
	return false
}

const uidLabel = "planapulse.com/tenant-uid"

// part is one object this step composes, before it is named.
type part struct {
	prefix string
	object runtime.Object
	judge  func(*composed.Unstructured) Verdict
}

// RunFunction: read the Input, resolve the tenant, build the objects, judge readiness, write
// status and conditions, choose the TTL. Each failure is one Fatal result, and the desired
// state earlier steps built is kept (response.To copies it).
func (f *Function) RunFunction(_ context.Context, req *v1.RunFunctionRequest) (*v1.RunFunctionResponse, error) {
	f.log.Debug("Running function", "tag", req.GetMeta().GetTag())
	rsp := response.To(req, response.DefaultTTL)

	in := &Input{}
	if err := request.GetInput(req, in); err != nil {
		return fatal(rsp, "InvalidInput", err), nil
	}
	s := in.settings()
	if s.mode != "Auto" && s.mode != "Direct" {
		return fatal(rsp, "InvalidInput", errors.Errorf("input.output.mode: %q is not implemented by the Go SDK peer (Direct only)", s.mode)), nil
	}
	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		return fatal(rsp, "InvalidSpec", errors.Wrap(err, "cannot get the observed PLANAClient XR")), nil
	}
	if oxr.Resource.Object == nil || len(oxr.Resource.Object) == 0 {
		return fatal(rsp, "InvalidSpec", errors.New("observed.composite: is required and must be the PLANAClient XR")), nil
	}
	t, err := parseTenant(oxr.Resource, s)
	if err != nil {
		var inv errInvalid
		if errors.As(err, &inv) {
			return fatal(rsp, inv.reason, err), nil
		}
		return fatal(rsp, "InvalidSpec", err), nil
	}

	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot get desired composed resources")), nil
	}
	for name := range desired {
		if ownsName(string(name)) {
			return fatal(rsp, "ResourceNameConflict", errors.Errorf("desired resource %q was set by an earlier pipeline step: this step owns route-*, redirect-*, backup-*, filestore-*", name)), nil
		}
	}
	if t.xrNamespace != "" {
		return fatal(rsp, "InvalidInput", errors.Errorf("%s/%s is a namespaced XR: the Go SDK peer implements only Direct output, not provider-kubernetes Objects", t.xrNamespace, t.xrName)), nil
	}

	observed, err := request.GetObservedComposedResources(req)
	if err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot get observed composed resources")), nil
	}
	answers, err := request.GetExtraResources(req)
	if err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot get extra resources")), nil
	}
	required, err := request.GetRequiredResources(req)
	if err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot get required resources")), nil
	}
	for k, v := range required {
		answers[k] = v
	}

	routeRefs := parentRefs(t, t.hostnames[:1])
	parts := []part{{"route", buildRoute(t), func(o *composed.Unstructured) Verdict { return routeVerdict(o, routeRefs) }}}
	if redirect := buildRedirectRoute(t); redirect != nil {
		aliasRefs := parentRefs(t, t.hostnames[1:])
		parts = append(parts, part{"redirect", redirect, func(o *composed.Unstructured) Verdict { return routeVerdict(o, aliasRefs) }})
	}
	parts = append(parts, part{"backup", buildBackup(t), cronJobVerdict}, part{"filestore", buildFilestoreJob(t), jobVerdict})

	selectors := map[string]*v1.ResourceSelector{}
	var conflicts []string
	verdicts := map[string]Verdict{}
	var cron *composed.Unstructured
	for _, p := range parts {
		cd, err := composed.From(p.object)
		if err != nil {
			return fatal(rsp, "InternalError", errors.Wrapf(err, "cannot convert the %s to a composed resource", p.prefix)), nil
		}
		prune(cd.Object)
		delete(cd.Object, "status")
		if t.uid != "" {
			labels := cd.GetLabels()
			labels[uidLabel] = t.uid
			cd.SetLabels(labels)
		}
		name := pipelineName(p.prefix, identity(cd.GetAPIVersion(), cd.GetKind(), cd.GetNamespace(), cd.GetName()), observed)
		var seen *composed.Unstructured
		if o, ok := observed[resource.Name(name)]; ok {
			seen = o.Resource
		}
		v := p.judge(seen)
		verdicts[p.prefix] = v
		if p.prefix == "backup" {
			cron = seen
		}

		problem := ""
		if seen == nil {
			// Not made yet: ask Crossplane for whatever already has this object's name; it
			// fetches it and calls again before it applies anything.
			sel := &v1.ResourceSelector{ApiVersion: cd.GetAPIVersion(), Kind: cd.GetKind(), Match: &v1.ResourceSelector_MatchName{MatchName: cd.GetName()}}
			if ns := cd.GetNamespace(); ns != "" {
				sel.Namespace = &ns
			}
			selectors[name] = sel
			for _, r := range answers[name] {
				if r.Resource != nil && r.Resource.Object != nil {
					problem = notOurs(r.Resource.GetKind(), r.Resource.GetNamespace(), r.Resource.GetName(), r.Resource.GetLabels(), t.uid)
					break
				}
			}
		} else if owner, has := seen.GetLabels()[uidLabel]; has && t.uid != "" && owner != t.uid {
			// provider-kubernetes adopts an existing object without asking: refuse another tenant's.
			problem = notOurs(seen.GetKind(), seen.GetNamespace(), seen.GetName(), seen.GetLabels(), t.uid)
		}
		if problem != "" {
			conflicts = append(conflicts, problem)
			continue
		}
		ready := resource.ReadyFalse
		if v.Ready {
			ready = resource.ReadyTrue
		}
		desired[resource.Name(name)] = &resource.DesiredComposed{Resource: cd, Ready: ready}
	}
	if len(conflicts) > 0 {
		return fatal(rsp, "ResourceConflict", errors.New(strings.Join(conflicts, "; "))), nil
	}

	route := verdicts["route"]
	if redirect, ok := verdicts["redirect"]; ok && route.Ready {
		if !redirect.Ready {
			route = redirect
			route.Message = "alias redirect: " + redirect.Message
		} else {
			route.Message = route.Message + "; alias redirect: " + redirect.Message
		}
	}
	job := verdicts["filestore"]
	health := backupHealth(cron, t.suspended, t.createdAt, time.Now())

	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot set desired composed resources")), nil
	}
	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot get the desired composite resource")), nil
	}
	if err := setStatus(dxr, t, health); err != nil {
		return fatal(rsp, "InternalError", err), nil
	}
	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		return fatal(rsp, "InternalError", errors.Wrap(err, "cannot set the desired composite resource")), nil
	}

	if len(selectors) > 0 {
		// Crossplane v2 reads requirements.resources (it advertises CAPABILITY_REQUIRED_RESOURCES);
		// Crossplane v1 only the older extra_resources.
		if request.HasCapability(req, v1.Capability_CAPABILITY_REQUIRED_RESOURCES) {
			rsp.Requirements = &v1.Requirements{Resources: selectors}
		} else {
			rsp.Requirements = &v1.Requirements{ExtraResources: selectors}
		}
	}

	condition(rsp, "RouteReady", boolStatus(route.Ready), route)
	condition(rsp, "FilestoreReady", boolStatus(job.Ready), job)
	condition(rsp, "BackupHealthy", health.Status, health.Verdict)
	for _, v := range []Verdict{route, job, health.Verdict} {
		if v.Degraded {
			response.Warning(rsp, errors.New(v.Message)).WithReason(v.Reason).TargetComposite()
		}
	}

	allReady := true
	for _, v := range verdicts {
		allReady = allReady && v.Ready
	}
	ttl := s.pendingTTL
	if allReady && !health.Degraded {
		ttl = s.steadyTTL
	}
	rsp.Meta.Ttl = durationpb.New(time.Duration(ttl) * time.Second)
	return rsp, nil
}

// zeroBools are k8s.io/api fields that are plain bools with omitempty: composed.From marshals
// with go-json-experiment, whose omitempty keeps false (it omits only null, "", {} and []), so
// they would go out as hostNetwork: false, tty: false, ..., each a server-side-apply claim the
// function does not mean to make. None of them is ever set to false on purpose here (the false
// values the function means, like privileged: false, are pointers and stay).
var zeroBools = map[string]bool{"stdin": true, "stdinOnce": true, "tty": true, "readOnly": true, "hostIPC": true, "hostNetwork": true, "hostPID": true}

// prune drops what composed.From leaves behind from typed objects: those false bools, and
// generation: 0 in nested metadata (composed.From's cleanup only removes the top-level one).
// The caller drops the top-level status (a typed object's empty status struct), which Crossplane
// owns anyway.
func prune(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case bool:
			if !x && zeroBools[k] {
				delete(m, k)
			}
		case map[string]any:
			if k == "metadata" {
				if g, ok := x["generation"]; ok && (g == int64(0) || g == float64(0)) {
					delete(x, "generation")
				}
			}
			prune(x)
		case []any:
			for _, item := range x {
				if o, ok := item.(map[string]any); ok {
					prune(o)
				}
			}
		}
	}
}

func boolStatus(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

func condition(rsp *v1.RunFunctionResponse, typ, status string, v Verdict) {
	var c *response.ConditionOption
	switch status {
	case "True":
		c = response.ConditionTrue(rsp, typ, v.Reason)
	case "False":
		c = response.ConditionFalse(rsp, typ, v.Reason)
	default:
		c = response.ConditionUnknown(rsp, typ, v.Reason)
	}
	c.WithMessage(v.Message).TargetCompositeAndClaim()
}

// fatal: one Fatal result with a reason; the desired state earlier steps built goes back
// unchanged. function-sdk-go v0.7.1's response.Fatal takes no reason, so it is set on the result
// Fatal appended; no TTL, as ours.
func fatal(rsp *v1.RunFunctionResponse, reason string, err error) *v1.RunFunctionResponse {
	response.Fatal(rsp, err)
	rsp.Results[len(rsp.Results)-1].Reason = &reason
	rsp.Meta.Ttl = nil
	return rsp
}

// setStatus: the XR status fields this step owns, beside whatever earlier steps put there.
func setStatus(dxr *resource.Composite, t *Tenant, h BackupHealth) error {
	slot := backupTime(t.projectID)
	hosts := make([]any, len(t.hostnames))
	for i, h := range t.hostnames {
		hosts[i] = h
	}
	backup := map[string]any{
		"schedule":      slot.cron,
		"startTime":     slot.start,
		"timeZone":      backupTimeZone,
		"encryption":    "age",
		"location":      backupLocation(t),
		"retentionDays": retentionDays[t.tier],
	}
	if t.suspended {
		backup["suspended"] = true
	}
	if h.LastSuccessfulTime != "" {
		backup["lastSuccessfulTime"] = h.LastSuccessfulTime
	}
	for _, f := range []struct {
		path  string
		value any
	}{
		{"status.hostnames", hosts},
		{"status.url", "https://" + t.database},
		{"status.database", t.database},
		{"status.namespace", t.namespace},
		{"status.filestorePath", filestoreRootOdoo + "/" + t.database},
		{"status.backup", backup},
	} {
		if err := dxr.Resource.SetValue(f.path, f.value); err != nil {
			return errors.Wrapf(err, "cannot set %s", f.path)
		}
	}
	return nil
}

// identity: group/kind/namespace/name, what a pipeline name stands for (src/identity.ts).
func identity(apiVersion, kind, namespace, name string) string {
	group := ""
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	return group + "/" + kind + "/" + namespace + "/" + name
}

// pipelineName: the observed name that already holds this identity (an object made under an
// earlier name is kept), else `{prefix}-{8 hex digits of sha256(identity)}`.
func pipelineName(prefix, key string, observed map[resource.Name]resource.ObservedComposed) string {
	for name, o := range observed {
		n := string(name)
		if (n == prefix || strings.HasPrefix(n, prefix+"-")) && o.Resource != nil &&
			identity(o.Resource.GetAPIVersion(), o.Resource.GetKind(), o.Resource.GetNamespace(), o.Resource.GetName()) == key {
			return n
		}
	}
	sum := sha256.Sum256([]byte(key))
	return prefix + "-" + hex.EncodeToString(sum[:4])
}

// notOurs: why an existing object is not this tenant's to manage, or "".
func notOurs(kind, namespace, name string, labels map[string]string, uid string) string {
	owner, has := labels[uidLabel]
	if uid != "" && has && owner == uid {
		return ""
	}
	whose := fmt.Sprintf("has no %s label, so this function did not create it for any tenant", uidLabel)
	if has {
		whose = fmt.Sprintf("belongs to the tenant whose XR has UID %s", describe(owner))
	}
	if namespace != "" {
		namespace += "/"
	}
	label := uid
	if label == "" {
		label = "<this XR's UID>"
	}
	return fmt.Sprintf("%s %s%s already exists and %s: refusing to take it over (delete it, or label it %s=%s if it is this tenant's)", kind, namespace, name, whose, uidLabel, label)
}
