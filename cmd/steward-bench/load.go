package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// measureHeader marks the requests a client counts, so the server side
// times exactly the same requests and ignores the warm-up.
const measureHeader = "X-Steward-Bench-Measure"

// serverTimer wraps the application and records how long each measured
// request took from its arrival (headers read) until the handler had
// written the whole response: the server-side latency.
type serverTimer struct {
	next    http.Handler
	mu      sync.Mutex
	samples []time.Duration
}

func (t *serverTimer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	t.next.ServeHTTP(w, r)
	if r.Header.Get(measureHeader) == "" {
		return
	}
	d := time.Since(start)
	t.mu.Lock()
	t.samples = append(t.samples, d)
	t.mu.Unlock()
}

// take returns the samples recorded so far and starts a new set.
func (t *serverTimer) take() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.samples
	t.samples = nil
	return s
}

// loadResult is what one scenario measured.
type loadResult struct {
	scenario        scenario
	elapsed         time.Duration
	server, client  []time.Duration
	bodyBytes       int64
	statuses        map[int]int // non-2xx answers by status
	transportErrors int
	firstError      string
	cpu             time.Duration // CPU this process (Steward and its clients) used while measuring
	machineCPU      time.Duration // CPU every process on the machine used, PostgreSQL included
}

// requests counts the measured requests that completed.
func (r loadResult) requests() int { return len(r.client) }

// failures counts non-2xx answers and transport errors.
func (r loadResult) failures() int {
	n := r.transportErrors
	for _, c := range r.statuses {
		n += c
	}
	return n
}

// pacing is how long and how hard each scenario runs.
type pacing struct {
	warmup, duration time.Duration
	// think is the mean pause of a client between two requests
	// (exponentially distributed); zero sends the next request at once.
	think time.Duration
	seed  uint64
}

// drive runs sc with every client at once against base (a loopback URL):
// warm-up first, unmeasured, then duration measured. Every client keeps its
// connection alive and its cookies, as a browser tab would. It stops by
// itself when the time is up or ctx ends.
func drive(ctx context.Context, base string, sc scenario, clients []*http.Client, p pacing, timer *serverTimer) loadResult {
	type worker struct {
		client          []time.Duration
		bodyBytes       int64
		statuses        map[int]int
		transportErrors int
		firstError      string
	}
	workers := make([]worker, len(clients))
	timer.take()
	start := time.Now()
	measureFrom, end := start.Add(p.warmup), start.Add(p.warmup+p.duration)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.statuses = map[int]int{}
		r := rand.New(rand.NewPCG(p.seed, uint64(i)))
		client := clients[i]
		wg.Go(func() {
			for ctx.Err() == nil {
				now := time.Now()
				if !now.Before(end) {
					return
				}
				measuring := !now.Before(measureFrom)
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+sc.url(r), nil)
				if err != nil {
					panic(err) // the scenarios build well-formed URLs
				}
				if measuring {
					req.Header.Set(measureHeader, "1")
				}
				t := time.Now()
				res, err := client.Do(req)
				var n int64
				if err == nil {
					n, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				d := time.Since(t)
				if !measuring {
					continue
				}
				switch {
				case err != nil:
					if ctx.Err() != nil {
						return
					}
					w.transportErrors++
					if w.firstError == "" {
						w.firstError = err.Error()
					}
				case res.StatusCode < 200 || res.StatusCode > 299:
					w.statuses[res.StatusCode]++
					if w.firstError == "" {
						w.firstError = fmt.Sprintf("%s answered %s", req.URL.RequestURI(), res.Status)
					}
				}
				w.client = append(w.client, d)
				w.bodyBytes += n
				if p.think > 0 {
					pause := time.Duration(r.ExpFloat64() * float64(p.think))
					select {
					case <-time.After(min(pause, time.Until(end))):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	select {
	case <-time.After(time.Until(measureFrom)):
	case <-ctx.Done():
	}
	cpuFrom, machineFrom := processCPU(), machineCPU()
	wg.Wait()
	res := loadResult{scenario: sc, elapsed: time.Since(measureFrom), server: timer.take(), statuses: map[int]int{}}
	res.cpu = processCPU() - cpuFrom
	res.machineCPU = machineCPU() - machineFrom
	for _, w := range workers {
		res.client = append(res.client, w.client...)
		res.bodyBytes += w.bodyBytes
		res.transportErrors += w.transportErrors
		for s, c := range w.statuses {
			res.statuses[s] += c
		}
		if res.firstError == "" {
			res.firstError = w.firstError
		}
	}
	return res
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machineCPU is the CPU time the whole machine has spent busy (not idle
// or waiting for I/O), from /proc/stat; 0 where there is none.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 6 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	// user nice system idle iowait irq softirq steal; guest time is
	// already counted in user.
	for i, v := range f[1:min(len(f), 9)] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 {
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / 100 // USER_HZ is 100 on Linux
}
