package main

import (
	"os"
	"testing"
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
