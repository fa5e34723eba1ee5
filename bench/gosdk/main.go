// Command function-plana-tenant-gosdk is the benchmark's "real peer" (issue 14): function-plana-tenant
// written by hand in Go on function-sdk-go, the way crossplane/function-template-go and
// crossplane-contrib/function-patch-and-transform build responses — typed k8s.io/api and Gateway API
// objects turned into composed resources with composed.From, the request and response helpers of
// the SDK, conditions and results through response.ConditionTrue/Warning/Fatal.
//
// It emits the same composed objects, XR status, conditions, results, readiness and TTL as
// function-plana-tenant for the requests the benchmark sends and for every example that
// bench/fairness.ts renders through the real `crossplane render` (which checks it field for field).
//
// What it simplifies, on purpose (it is a benchmark peer, not a second product):
//   - Input: only apiVersion, kind, tenants.{namespaces,requireNameMatch,reservedSubdomains},
//     output.mode (Auto or Direct) and ttl are read (request.GetInput into a typed struct, which
//     refuses any other field); every other setting is PLANA's production default, written as Go
//     constants (src/input/schema.ts is the source of those values).
//   - Output mode: Direct only. A namespaced XR (which needs provider-kubernetes Objects) and
//     output.mode Object get a Fatal result saying the peer does not implement them.
//   - The filestore Job's name carries sha256 of the Job spec as JSON.stringify writes it in our
//     key order (src/builders/filestore.ts); Go's encoding/json orders fields by struct
//     declaration, so that JSON text is written by hand (filestoreHash) rather than marshalled
//     from the typed spec.
//   - No metrics server: the benchmark runs ours without --metrics-address too, so neither pays
//     for a metrics interceptor (function.Serve would otherwise listen on :8080).
//   - Condition observedGeneration 0 counts as "not reported" (the typed Go convention); ours
//     treats an explicit 0 as a stale report. No example or benchmark request has one.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/crossplane/function-sdk-go"
)

func main() {
	// Same flags as function-template-go (kong there; the standard flag package here, which also
	// accepts --address=... and --insecure).
	address := flag.String("address", "127.0.0.1:9443", "Address at which to listen for gRPC connections.")
	insecure := flag.Bool("insecure", false, "Run without mTLS credentials.")
	certs := flag.String("tls-server-certs-dir", "", "Directory containing server certs (tls.key, tls.crt) and the CA used to verify client certificates (ca.crt).")
	flag.Parse()

	log, err := function.NewLogger(false)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	opts := []function.ServeOption{
		function.Listen("tcp", *address),
		function.Insecure(*insecure),
		function.WithMetricsServer(""),
	}
	if *certs != "" {
		opts = append(opts, function.MTLSCertificates(*certs))
	}
	if err := function.Serve(&Function{log: log}, opts...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
