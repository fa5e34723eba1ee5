package main

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Input is the part of function-plana-tenant's Input the peer reads (see main.go: the rest are
// PLANA's defaults below). request.GetInput refuses any other field.
type Input struct {
	metav1.TypeMeta `json:",inline"`

	Tenants *InputTenants `json:"tenants,omitempty"`
	Output  *InputOutput  `json:"output,omitempty"`
	TTL     *InputTTL     `json:"ttl,omitempty"`
}

// InputTenants: rules for tenant names.
type InputTenants struct {
	RequireNameMatch   *bool    `json:"requireNameMatch,omitempty"`
	Namespaces         []string `json:"namespaces,omitempty"`
	ReservedSubdomains []string `json:"reservedSubdomains,omitempty"`
}

// InputOutput: how the objects reach the cluster; the peer implements Direct only.
type InputOutput struct {
	Mode string `json:"mode,omitempty"`
}

// InputTTL: how soon Crossplane calls again.
type InputTTL struct {
	PendingSeconds *int64 `json:"pendingSeconds,omitempty"`
	SteadySeconds  *int64 `json:"steadySeconds,omitempty"`
}

// DeepCopyObject makes Input a runtime.Object, which request.GetInput wants (generated deepcopy
// in function-template-go; the peer only reads its Input, so the slices are shared).
func (in *Input) DeepCopyObject() runtime.Object {
	out := *in
	return &out
}

// The defaults of the fields the peer reads (src/input/schema.ts).
var defaultReserved = []string{"www", "my", "api", "auth", "git", "mail", "matrix", "chat", "admin", "docs", "erp", "status"}

type settings struct {
	requireNameMatch bool
	namespaces       []string
	reserved         []string
	mode             string
	pendingTTL       int64
	steadyTTL        int64
}

func (in *Input) settings() settings {
	s := settings{requireNameMatch: true, reserved: defaultReserved, mode: "Auto", pendingTTL: 15, steadyTTL: 300}
	if t := in.Tenants; t != nil {
		if t.RequireNameMatch != nil {
			s.requireNameMatch = *t.RequireNameMatch
		}
		s.namespaces = t.Namespaces
		if t.ReservedSubdomains != nil {
			s.reserved = t.ReservedSubdomains
		}
	}
	if in.Output != nil && in.Output.Mode != "" {
		s.mode = in.Output.Mode
	}
	if t := in.TTL; t != nil {
		if t.PendingSeconds != nil {
			s.pendingTTL = *t.PendingSeconds
		}
		if t.SteadySeconds != nil {
			s.steadyTTL = *t.SteadySeconds
		}
	}
	return s
}

// PLANA's production values for everything else (src/input/schema.ts defaults).
const (
	gatewayName        = "eg-gateway"
	gatewayNamespace   = "plana-odoo"
	gatewayGroup       = "gateway.networking.k8s.io"
	primaryDomain      = "planapulse.app"
	redirectStatus     = 301
	requestTimeout     = "300s"
	odooService        = "worker-odoo"
	odooHTTPPort       = 8069
	odooWebsocketPort  = 8072
	odooUID            = 101
	odooGID            = 101
	filestoreRootOdoo  = "/var/lib/odoo/filestore"
	defaultOdoo        = "18"
	databaseHost       = "pg01.planapulse.com"
	databasePort       = "5432"
	backupNamespace    = "backup"
	backupTimeZone     = "Europe/Sofia"
	windowStartHour    = 2
	windowMinutes      = 60
	staleAfterHours    = 26
	backupBucket       = "plana-pulse-backups"
	backupEndpoint     = "https://sos-bg-sof-1.exo.io"
	backupRegion       = "bg-sof-1"
	backupImage        = "git.planapulse.com/plana-pulse/tenant-backup:1.0.0-pg17-rclone1.76.0"
	workVolumeSize     = "20Gi"
	jobNamespace       = "crossplane-system"
	filestoreJobImage  = "docker.io/library/busybox:1.37.0"
	filestoreDirMode   = "0750"
	filestoreDeadline  = 600
	filestoreBackoff   = 4
	backupDeadline     = 7200
	backupBackoff      = 2
	backupStartingSecs = 3600
	backupHistory      = 3
)

type listener struct{ domain, section string }

var listeners = []listener{
	{"planapulse.app", "https-app"},
	{"planapulse.online", "https-online"},
	{"planapulse.dev", "https-dev"},
}

type odooVersion struct{ namespace, claim string }

var odooVersions = map[string]odooVersion{
	"17": {"plana-odoo", "odoo-filestore-17"},
	"18": {"plana-odoo-18", "odoo-filestore-18"},
	"19": {"plana-odoo-19", "odoo-filestore-19"},
}

var retentionDays = map[string]int64{"starter": 30, "pro": 90, "enterprise": 365}
