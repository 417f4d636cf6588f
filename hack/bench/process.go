package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat; it is
// 100 on every Linux architecture Go supports.
const clockTicks = 100

// processSample is a process's CPU time and memory at one moment.
type processSample struct {
	CPUSeconds float64
	RSSBytes   int64 // VmRSS
	PeakBytes  int64 // VmHWM: the largest RSS since the process started
	// AnonBytes is RssAnon, the anonymous part of RSS: heap, stacks and the
	// runtime's own memory. The rest is RssFile, mostly the pages of the
	// executable the kernel mapped in (Go binaries of this size keep most of
	// their text resident), which do not grow with the work.
	AnonBytes int64
}

// sampleProcess reads /proc/PID/stat and /proc/PID/status.
func sampleProcess(pid int) (processSample, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return processSample{}, err
	}
	// The command name may hold spaces: fields start after its closing ')'.
	rest := string(stat)
	if i := strings.LastIndexByte(rest, ')'); i >= 0 {
		rest = rest[i+1:]
	}
	fields := strings.Fields(rest)
	// After the name: state(0) ... utime(11) stime(12).
	if len(fields) < 13 {
		return processSample{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields))
	}
	utime, err1 := strconv.ParseFloat(fields[11], 64)
	stime, err2 := strconv.ParseFloat(fields[12], 64)
	if err1 != nil || err2 != nil {
		return processSample{}, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	sample := processSample{CPUSeconds: (utime + stime) / clockTicks}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return processSample{}, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch key {
		case "VmRSS":
			sample.RSSBytes = parseKiB(value)
		case "VmHWM":
			sample.PeakBytes = parseKiB(value)
		case "RssAnon":
			sample.AnonBytes = parseKiB(value)
		}
	}
	return sample, nil
}

// parseKiB reads "  123456 kB" as bytes.
func parseKiB(value string) int64 {
	fields := strings.Fields(value)
	if len(fields) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(fields[0], 10, 64)
	return n << 10
}

const mib = 1 << 20

// machineCPU is the CPU time the whole machine spent busy (every state of
// /proc/stat's first line but idle and iowait), in seconds.
func machineCPU() (float64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(data), "\n")
	fields := strings.Fields(line)
	if len(fields) < 5 || fields[0] != "cpu" {
		return 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	var busy float64
	for i, f := range fields[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest and guest_nice are already counted in user and nice
			break
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/stat: %w", err)
		}
		busy += v
	}
	return busy / clockTicks, nil
}

// cpuMeter measures, over a phase, the CPU time of the machine and of the
// plane's components.
type cpuMeter struct {
	machine    float64
	components map[string]float64
	pids       map[string]int
}

// meteredComponents are the processes whose CPU the cold sync reports besides
// capstan-apiserver's.
var meteredComponents = []string{"kube-apiserver", "etcd", "kube-controller-manager", "kwok"}

// startCPUMeter samples the machine and the components now.
func (e *environment) startCPUMeter() *cpuMeter {
	m := &cpuMeter{components: map[string]float64{}, pids: map[string]int{}}
	m.machine, _ = machineCPU()
	for _, c := range meteredComponents {
		pid, err := e.pid(c)
		if err != nil {
			continue
		}
		if s, err := sampleProcess(pid); err == nil {
			m.pids[c] = pid
			m.components[c] = s.CPUSeconds
		}
	}
	return m
}

// stop returns the CPU seconds spent since start by the machine and by each
// component still running.
func (m *cpuMeter) stop() (machine float64, components map[string]float64) {
	now, err := machineCPU()
	if err == nil {
		machine = now - m.machine
	}
	components = map[string]float64{}
	for c, pid := range m.pids {
		if s, err := sampleProcess(pid); err == nil {
			components[c] = s.CPUSeconds - m.components[c]
		}
	}
	return machine, components
}

// fileRSS splits the resident pages a process maps from files
// (/proc/<pid>/smaps): those of its own executable, and those of every other
// file (capstan-apiserver's embedded etcd maps its database), in bytes.
func fileRSS(pid int) (executable, other int64, err error) {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return 0, 0, err
	}
	smaps, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps", pid))
	if err != nil {
		return 0, 0, err
	}
	path := ""
	for _, line := range strings.Split(string(smaps), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			// A mapping's header: address perms offset dev inode [path].
			path = ""
			if len(fields) >= 6 && fields[4] != "0" {
				path = strings.Join(fields[5:], " ")
			}
			continue
		}
		if fields[0] != "Rss:" || path == "" || len(fields) < 2 {
			continue
		}
		bytes := parseKiB(fields[1])
		if path == exe {
			executable += bytes
		} else {
			other += bytes
		}
	}
	return executable, other, nil
}

// contextSwitches is the number of times the threads a process has now were
// switched out (voluntarily: they blocked; or not), from
// /proc/<pid>/task/*/status: each voluntary switch is a thread going to sleep
// that something woke (a timer, the network, another thread). Threads that
// exited since are not counted; a Go process keeps its threads.
func contextSwitches(pid int) (int64, error) {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0, err
	}
	var total int64
	for _, task := range tasks {
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, task.Name()))
		if err != nil {
			continue // the thread exited
		}
		for _, line := range strings.Split(string(status), "\n") {
			key, value, ok := strings.Cut(line, ":")
			if ok && (key == "voluntary_ctxt_switches" || key == "nonvoluntary_ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
				total += n
			}
		}
	}
	return total, nil
}
