package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machine describes where a benchmark ran, for the report.
type machine struct {
	cores  int
	cpu    string
	memory string
	goVer  string
}

func describeMachine() machine {
	m := machine{cores: runtime.NumCPU(), cpu: "unknown", memory: "unknown", goVer: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				m.memory = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return m
}

// loadAverage is /proc/loadavg's 1, 5 and 15 minute figures.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuTimes is a snapshot of CPU time: this process, its waited-for
// children (wrk), and the whole machine from /proc/stat.
type cpuTimes struct {
	self, children time.Duration
	// busy is every process's CPU time on the machine except steal;
	// steal is the time the hypervisor gave to other guests.
	busy, steal time.Duration
}

func cpuNow() cpuTimes {
	var c cpuTimes
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru) == nil {
		c.children = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line)
		// cpu user nice system idle iowait irq softirq steal; guest time
		// is already counted in user. USER_HZ is 100 on Linux.
		if len(f) >= 9 && f[0] == "cpu" {
			for i, v := range f[1:9] {
				n, _ := strconv.ParseInt(v, 10, 64)
				d := time.Duration(n) * time.Second / 100
				switch i {
				case 3, 4: // idle, iowait
				case 7:
					c.steal += d
				default:
					c.busy += d
				}
			}
		}
	}
	return c
}

// cpuUse is how the machine's CPU was spent during a measured run, in
// cores (CPU seconds per wall second).
type cpuUse struct {
	server, wrk, others, steal float64
}

func cpuBetween(a, b cpuTimes, wall time.Duration) cpuUse {
	s := wall.Seconds()
	u := cpuUse{
		server: (b.self - a.self).Seconds() / s,
		wrk:    (b.children - a.children).Seconds() / s,
		steal:  (b.steal - a.steal).Seconds() / s,
	}
	u.others = max(0, (b.busy-a.busy).Seconds()/s-u.server-u.wrk)
	return u
}

// fsyncLatency appends 1 KB records to a file in dir and times the fsync
// after each, as the journal's group commit does: the floor under every
// acknowledgement on this disk.
func fsyncLatency(dir string, n int) (p50, p99 time.Duration, err error) {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0, 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 1024)
	samples := make([]time.Duration, 0, n)
	for range n {
		if _, err := f.Write(buf); err != nil {
			return 0, 0, err
		}
		t := time.Now()
		if err := f.Sync(); err != nil {
			return 0, 0, err
		}
		samples = append(samples, time.Since(t))
	}
	slices.Sort(samples)
	return samples[n/2], samples[(n*99)/100], nil
}

// filesystemOf names the filesystem dir is on, from /proc/mounts (the
// longest mount point that contains it).
func filesystemOf(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "unknown"
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return "unknown"
	}
	best, fs := "", "unknown"
	for line := range strings.SplitSeq(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (abs == mp || strings.HasPrefix(abs, strings.TrimSuffix(mp, "/")+"/")) && len(mp) > len(best) {
			best, fs = mp, f[2]+" on "+f[0]
		}
	}
	return fs
}
