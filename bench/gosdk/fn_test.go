package main

import (
	"context"
	"os"
	"testing"

	"github.com/crossplane/function-sdk-go/logging"
	v1 "github.com/crossplane/function-sdk-go/proto/v1"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRunFunction times RunFunction alone (no gRPC) on a request the benchmark wrote
// (node dist/bench/run.js leaves them in .cache/bench/requests/), to see where the peer's time
// goes:
//
//	BENCH_REQUEST=../../.cache/bench/requests/first-gosdk.bin go test -run=^$ -bench=. -cpuprofile=cpu.out
//
// Skipped without BENCH_REQUEST.
func BenchmarkRunFunction(b *testing.B) {
	file := os.Getenv("BENCH_REQUEST")
	if file == "" {
		b.Skip("BENCH_REQUEST names a RunFunctionRequest file")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		b.Fatal(err)
	}
	f := &Function{log: logging.NewNopLogger()}
	b.ReportAllocs()
	for b.Loop() {
		// Decode and encode too: the server pays for both on every call.
		req := &v1.RunFunctionRequest{}
		if err := proto.Unmarshal(raw, req); err != nil {
			b.Fatal(err)
		}
		rsp, err := f.RunFunction(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if len(rsp.GetResults()) > 0 && rsp.GetResults()[0].GetSeverity() == v1.Severity_SEVERITY_FATAL {
			b.Fatal(rsp.GetResults()[0].GetMessage())
		}
		if _, err := proto.Marshal(rsp); err != nil {
			b.Fatal(err)
		}
	}
}
