package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/crossplane/function-sdk-go/resource/composed"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Verdict: ready, or why not; degraded concerns also become Warning results (src/ready.ts).
type Verdict struct {
	Ready, Degraded bool
	Reason, Message string
}

// parentStatus is the slice of an HTTPRoute's status.parents[] the rule reads. Pointers tell
// an omitted field from a zero one: Gateway API defaults an omitted parentRef namespace to the
// route's, group and kind to gateway.networking.k8s.io/Gateway.
type parentStatus struct {
	ParentRef struct {
		Name        string  `json:"name"`
		Namespace   *string `json:"namespace"`
		SectionName *string `json:"sectionName"`
		Group       *string `json:"group"`
		Kind        *string `json:"kind"`
	} `json:"parentRef"`
	Conditions []struct {
		Type               string `json:"type"`
		Status             string `json:"status"`
		Reason             string `json:"reason"`
		Message            string `json:"message"`
		ObservedGeneration int64  `json:"observedGeneration"`
	} `json:"conditions"`
}

func explain(reason, message string) string {
	if reason == "" {
		reason = "no reason given"
	}
	if message == "" {
		return reason
	}
	return reason + ": " + message
}

func orDefault(p *string, d string) string {
	if p == nil {
		return d
	}
	return *p
}

// routeVerdict: ready when, for each parentRef, the Gateway reports Accepted=True and
// ResolvedRefs=True for the route's current generation.
func routeVerdict(observed *composed.Unstructured, refs []gatewayv1.ParentReference) Verdict {
	if observed == nil {
		return Verdict{false, false, "Creating", "the HTTPRoute has not been created yet"}
	}
	generation := observed.GetGeneration()
	namespace := observed.GetNamespace()
	var parents []parentStatus
	_ = observed.GetValueInto("status.parents", &parents) // absent or malformed: no reports yet

	sections := make([]string, 0, len(refs))
	for _, ref := range refs {
		section := string(*ref.SectionName)
		sections = append(sections, section)
		where := fmt.Sprintf("listener %s of Gateway %s/%s", section, *ref.Namespace, ref.Name)
		var parent *parentStatus
		for i := range parents {
			p := &parents[i].ParentRef
			if p.Name == string(ref.Name) && orDefault(p.Namespace, namespace) == string(*ref.Namespace) && p.SectionName != nil && *p.SectionName == section &&
				orDefault(p.Group, gatewayGroup) == string(*ref.Group) && orDefault(p.Kind, "Gateway") == string(*ref.Kind) {
				parent = &parents[i]
				break
			}
		}
		if parent == nil {
			return Verdict{false, false, "AwaitingGateway", where + " has not reported on the HTTPRoute yet"}
		}
		var accepted, resolved *int
		for i, c := range parent.Conditions {
			if c.Type == "Accepted" && accepted == nil {
				accepted = &i
			} else if c.Type == "ResolvedRefs" && resolved == nil {
				resolved = &i
			}
		}
		for _, i := range []*int{accepted, resolved} {
			if i != nil && generation != 0 && parent.Conditions[*i].ObservedGeneration != 0 && parent.Conditions[*i].ObservedGeneration < generation {
				return Verdict{false, false, "AwaitingGateway", where + " has not reported on the HTTPRoute's latest generation yet"}
			}
		}
		status := func(i *int) string {
			if i == nil {
				return ""
			}
			return parent.Conditions[*i].Status
		}
		if status(accepted) == "False" {
			c := parent.Conditions[*accepted]
			return Verdict{false, true, "RouteRejected", where + " rejected the HTTPRoute: " + explain(c.Reason, c.Message)}
		}
		if status(resolved) == "False" {
			c := parent.Conditions[*resolved]
			return Verdict{false, true, "UnresolvedRefs", where + " cannot resolve the HTTPRoute's backends: " + explain(c.Reason, c.Message)}
		}
		if status(accepted) != "True" || status(resolved) != "True" {
			return Verdict{false, false, "AwaitingGateway", where + " has not accepted the HTTPRoute and resolved its backends yet"}
		}
	}
	return Verdict{true, false, "Accepted", "the gateway accepted the HTTPRoute on " + strings.Join(sections, ", ")}
}

// jobVerdict: the filestore Job is ready when Complete=True; Failed=True is degraded.
func jobVerdict(observed *composed.Unstructured) Verdict {
	if observed == nil {
		return Verdict{false, false, "Creating", "the filestore Job has not been created yet"}
	}
	if observed.GetCondition("Complete").Status == "True" {
		return Verdict{true, false, "Created", "the filestore directory exists and is writable"}
	}
	if failed := observed.GetCondition("Failed"); failed.Status == "True" {
		return Verdict{false, true, "JobFailed", "the filestore Job failed: " + explain(string(failed.Reason), failed.Message)}
	}
	return Verdict{false, false, "Running", "the filestore Job is running"}
}

// cronJobVerdict: a CronJob is a schedule, ready once it exists.
func cronJobVerdict(observed *composed.Unstructured) Verdict {
	if observed == nil {
		return Verdict{false, false, "Creating", "the backup CronJob has not been created yet"}
	}
	return Verdict{true, false, "Scheduled", "the backup CronJob exists"}
}

// BackupHealth: the BackupHealthy condition (src/backup-health.ts).
type BackupHealth struct {
	Verdict
	Status             string // True, False or Unknown
	LastSuccessfulTime string
}

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}

func backupHealth(cron *composed.Unstructured, suspended bool, xrCreated time.Time, now time.Time) BackupHealth {
	limit := staleAfterHours * time.Hour
	var lastRaw string
	var last, lastSchedule time.Time
	var hasLast, hasSchedule, active bool
	if cron != nil {
		lastRaw, _ = cron.GetString("status.lastSuccessfulTime")
		last, hasLast = parseTime(lastRaw)
		if !hasLast {
			lastRaw = ""
		}
		if s, err := cron.GetString("status.lastScheduleTime"); err == nil {
			lastSchedule, hasSchedule = parseTime(s)
		}
		if a, err := cron.GetValue("status.active"); err == nil {
			list, _ := a.([]any)
			active = len(list) > 0
		}
	}
	health := func(status string, degraded bool, reason, message string) BackupHealth {
		return BackupHealth{Verdict{status == "True", degraded, reason, message}, status, lastRaw}
	}
	if suspended {
		return health("False", false, "Suspended", "backups are suspended by spec.backup.suspend")
	}
	if cron == nil {
		return health("Unknown", false, "Creating", "the backup CronJob has not been created yet")
	}
	if hasSchedule && !active && (!hasLast || lastSchedule.After(last)) {
		return health("False", true, "LastRunFailed",
			"the last scheduled backup run ended without success (failed, out of retries or past its deadline): see its Job and pod logs in the backup namespace")
	}
	if hasLast && now.Sub(last) <= limit {
		return health("True", false, "BackedUp", fmt.Sprintf("the last successful backup is less than %dh old", staleAfterHours))
	}
	since := xrCreated
	if ts := cron.GetCreationTimestamp(); !ts.IsZero() {
		since = ts.Time
	}
	if !hasLast && (since.IsZero() || now.Sub(since) <= limit) {
		return health("Unknown", false, "AwaitingFirstBackup", fmt.Sprintf("no backup has completed yet; the first is due within %dh", staleAfterHours))
	}
	if !hasLast {
		return health("False", true, "NoBackup", fmt.Sprintf("no backup has succeeded in the %dh since the schedule was created", staleAfterHours))
	}
	return health("False", true, "BackupStale", fmt.Sprintf("the last successful backup is more than %dh old", staleAfterHours))
}
