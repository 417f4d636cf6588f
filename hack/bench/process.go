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
