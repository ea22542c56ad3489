package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The production binary links no test code: the simulator, which runs
// lifecycles in the SDK's time-skipping test environment, is its own binary
// (cmd/securebase-year).
func TestBinaryDoesNotLinkTestSuite(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "go.temporal.io/sdk/testsuite" || pkg == "go.temporal.io/sdk/internal/testsuite" || pkg == "github.com/securebase/securebase/simulate" {
			t.Errorf("cmd/securebase links %s", pkg)
		}
	}
}

// bench production's CPU figures read /proc/PID/stat: this process's own
// CPU time is found and grows with work.
func TestProcCPUReadsUserAndSystemTime(t *testing.T) {
	before := procCPU(os.Getpid())
	for t0 := time.Now(); time.Since(t0) < 300*time.Millisecond; {
	}
	if after := procCPU(os.Getpid()); after <= before {
		t.Errorf("CPU time went from %v to %v over 300 ms of work", before, after)
	}
}
