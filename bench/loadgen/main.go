// Command loadgen is the benchmark's load generator (bench/run.ts drives it): a grpc-go client,
// like Crossplane's own, that sends pre-encoded RunFunctionRequests and times the answers.
//
// It reads one JSON command per line on stdin and writes one JSON result per line on stdout:
//
//	{"conn":"ours:16","target":"127.0.0.1:PORT","request":"/path/req.bin","mode":"closed",
//	 "concurrency":16,"durationMs":2000,"minCompleted":32}
//	{"conn":"ours:open","target":"127.0.0.1:PORT","request":"/path/req.bin","mode":"open",
//	 "rate":1000,"durationMs":5000}
//
// Closed loop: `concurrency` calls always in flight on one connection (one HTTP/2 connection per
// "conn" key, as Crossplane holds one per function), each sent again as soon as it returns,
// for at least durationMs and until minCompleted calls completed. Open loop: calls sent on a
// fixed schedule whatever the server does; latency counts from the scheduled time, so a server
// that falls behind is charged for its queue (no coordinated omission).
//
// Requests and responses pass through as bytes (a codec that does not marshal): the client
// spends no time on protobuf. Why Go rather than grpc-js: a single-threaded Node client and a
// Node server ping-pong in batches (each processes a whole burst in one event-loop turn while
// the other waits), so neither core is ever saturated; goroutines send each call as soon as its
// answer arrives, as Crossplane's grpc-go client does.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

const method = "/apiextensions.fn.proto.v1.FunctionRunnerService/RunFunction"

// rawCodec passes bytes through: the request is encoded once by the caller.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "proto" }

type command struct {
	Conn         string `json:"conn"`
	Target       string `json:"target"`
	Request      string `json:"request"`
	Mode         string `json:"mode"`
	Concurrency  int    `json:"concurrency"`
	DurationMs   int    `json:"durationMs"`
	MinCompleted int    `json:"minCompleted"`
	Rate         int    `json:"rate"`
	Close        bool   `json:"close"`
}

type result struct {
	Completed        int     `json:"completed"`
	Errors           int     `json:"errors"`
	FirstError       string  `json:"firstError,omitempty"`
	WallSeconds      float64 `json:"wallSeconds"`
	ElapsedSeconds   float64 `json:"elapsedSeconds"`
	ClientCPUSeconds float64 `json:"clientCpuSeconds"`
	// Latencies in microseconds: closed loop from send, open loop from the scheduled time.
	LatenciesUs []int64 `json:"latenciesUs"`
	// Open loop only: from the actual send.
	ServiceLatenciesUs []int64 `json:"serviceLatenciesUs,omitempty"`
	MaxSendLagUs       int64   `json:"maxSendLagUs,omitempty"`
	Sent               int     `json:"sent,omitempty"`
	ResponseBytes      int     `json:"responseBytes"`
	Error              string  `json:"error,omitempty"`
}

var conns = map[string]*grpc.ClientConn{}

func conn(key, target string) (*grpc.ClientConn, error) {
	if c, ok := conns[key]; ok {
		return c, nil
	}
	c, err := grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.ForceCodec(rawCodec{}),
			grpc.MaxCallRecvMsgSize(64<<20),
			grpc.MaxCallSendMsgSize(64<<20),
		),
	)
	if err != nil {
		return nil, err
	}
	conns[key] = c
	return c, nil
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func invoke(c *grpc.ClientConn, req []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var res []byte
	err := c.Invoke(ctx, method, &req, &res)
	return len(res), err
}

func closed(c *grpc.ClientConn, req []byte, cmd command) result {
	var (
		mu         sync.Mutex
		lat        = make([]int64, 0, 1<<16)
		errs       int
		firstErr   string
		respBytes  int
		end        time.Time // zero until the window closes
		wg         sync.WaitGroup
		cpu0       = cpuSeconds()
		start      = time.Now()
		minEnd     = start.Add(time.Duration(cmd.DurationMs) * time.Millisecond)
		closeIfDue = func(t time.Time) { // under mu
			if end.IsZero() && !t.Before(minEnd) && len(lat) >= cmd.MinCompleted {
				end = t
			}
		}
	)
	for i := 0; i < cmd.Concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				done := !end.IsZero()
				mu.Unlock()
				if done {
					return
				}
				t0 := time.Now()
				n, err := invoke(c, req)
				t1 := time.Now()
				mu.Lock()
				if err != nil {
					errs++
					if firstErr == "" {
						firstErr = err.Error()
					}
					if errs > 1000 && end.IsZero() {
						end = t1
					}
				} else if end.IsZero() || !t1.After(end) {
					lat = append(lat, t1.Sub(t0).Microseconds())
					respBytes = n
				}
				closeIfDue(t1)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	finished := time.Now()
	return result{
		Completed:        len(lat),
		Errors:           errs,
		FirstError:       firstErr,
		WallSeconds:      end.Sub(start).Seconds(),
		ElapsedSeconds:   finished.Sub(start).Seconds(),
		ClientCPUSeconds: cpuSeconds() - cpu0,
		LatenciesUs:      lat,
		ResponseBytes:    respBytes,
	}
}

func open(c *grpc.ClientConn, req []byte, cmd command) result {
	total := cmd.Rate * cmd.DurationMs / 1000
	interval := time.Second / time.Duration(cmd.Rate)
	var (
		mu        sync.Mutex
		lat       = make([]int64, 0, total)
		svc       = make([]int64, 0, total)
		errs      int
		firstErr  string
		respBytes int
		maxLag    time.Duration
		wg        sync.WaitGroup
		cpu0      = cpuSeconds()
		start     = time.Now()
	)
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		sent := time.Now()
		if lag := sent.Sub(due); lag > maxLag {
			maxLag = lag
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := invoke(c, req)
			t1 := time.Now()
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs++
				if firstErr == "" {
					firstErr = err.Error()
				}
				return
			}
			lat = append(lat, t1.Sub(due).Microseconds())
			svc = append(svc, t1.Sub(sent).Microseconds())
			respBytes = n
		}()
	}
	wg.Wait()
	finished := time.Now()
	return result{
		Completed:          len(lat),
		Errors:             errs,
		FirstError:         firstErr,
		WallSeconds:        finished.Sub(start).Seconds(),
		ElapsedSeconds:     finished.Sub(start).Seconds(),
		ClientCPUSeconds:   cpuSeconds() - cpu0,
		LatenciesUs:        lat,
		ServiceLatenciesUs: svc,
		MaxSendLagUs:       maxLag.Microseconds(),
		Sent:               total,
		ResponseBytes:      respBytes,
	}
}

func run(cmd command) result {
	if cmd.Close {
		if c, ok := conns[cmd.Conn]; ok {
			_ = c.Close()
			delete(conns, cmd.Conn)
		}
		return result{}
	}
	req, err := os.ReadFile(cmd.Request)
	if err != nil {
		return result{Error: err.Error()}
	}
	c, err := conn(cmd.Conn, cmd.Target)
	if err != nil {
		return result{Error: err.Error()}
	}
	switch cmd.Mode {
	case "closed":
		if cmd.Concurrency < 1 {
			return result{Error: "concurrency must be at least 1"}
		}
		return closed(c, req, cmd)
	case "open":
		if cmd.Rate < 1 {
			return result{Error: "rate must be at least 1"}
		}
		return open(c, req, cmd)
	default:
		return result{Error: fmt.Sprintf("unknown mode %q", cmd.Mode)}
	}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var cmd command
		var res result
		if err := json.Unmarshal(in.Bytes(), &cmd); err != nil {
			res = result{Error: err.Error()}
		} else {
			res = run(cmd)
		}
		if err := out.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
