package main

import (
	"os"
	"testing"
	"time"
)

// The test binary's own pages are resident while it runs: fileRSS finds
// them under its executable.
func TestFileRSSCountsTheExecutable(t *testing.T) {
	executable, other, err := fileRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if executable <= 0 {
		t.Errorf("executable's resident pages = %d bytes, want some", executable)
	}
	if other < 0 {
		t.Errorf("other files' resident pages = %d bytes", other)
	}
	sample, err := sampleProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if executable > sample.RSSBytes {
		t.Errorf("executable's resident pages %d > RSS %d", executable, sample.RSSBytes)
	}
}

// A process that sleeps and wakes is switched out: the count grows.
func TestContextSwitchesCount(t *testing.T) {
	before, err := contextSwitches(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		time.Sleep(time.Millisecond) // blocking is what is counted
	}
	after, err := contextSwitches(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if after <= before {
		t.Errorf("context switches %d → %d after ten sleeps, want more", before, after)
	}
}
