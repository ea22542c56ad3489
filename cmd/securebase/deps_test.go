package main

import (
	"os/exec"
	"strings"
	"testing"
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
