package main

import (
	"strings"
	"testing"

	"github.com/securebase/securebase/models/pgtest"
)

// bench dataset loads a (small) dataset and bench reads measures it: the
// commands as a user runs them, at a scale fit for a test.
func TestBenchDatasetThenReads(t *testing.T) {
	t.Setenv("DATABASE_URL", pgtest.URL(t))
	load := []string{"bench", "dataset", "--seed", "3", "--staff", "110", "--cases", "400", "--items", "6000", "--as-of", "2026-11-30"}
	out, err := runCmd(t, load...)
	if err != nil {
		t.Fatalf("bench dataset: %v\n%s", err, out)
	}
	for _, want := range []string{"110 staff", "400 cases", "due_items", "checksum ", `"counts"`} {
		if !strings.Contains(out, want) {
			t.Errorf("bench dataset output lacks %q:\n%s", want, out)
		}
	}
	if out, err := runCmd(t, load...); err == nil || !strings.Contains(err.Error(), "already has 110 staff") {
		t.Errorf("loading twice: %v\n%s", err, out)
	}
	if out, err := runCmd(t, append(load, "--reset")...); err != nil {
		t.Errorf("loading again with --reset: %v\n%s", err, out)
	}

	out, err = runCmd(t, "bench", "reads", "--n", "3", "--reports", "1", "--seed", "3", "--today", "2026-11-30")
	if err != nil {
		t.Fatalf("bench reads: %v\n%s", err, out)
	}
	if n := strings.Count(out, "\nverdict "); n != 7 {
		t.Errorf("bench reads printed %d verdicts, want one per read path (7, the stored summary's two included):\n%s", n, out)
	}
	for _, want := range []string{"team due list (14 days)", "compliance report, all authorities", "compliance summary, all authorities", "EXPLAIN", "Index Cond"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench reads output lacks %q:\n%s", want, out)
		}
	}
}
