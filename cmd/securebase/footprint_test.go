package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// bench footprint on a small n: every lifecycle open and idle, and figures
// that make sense (a cached workflow costs memory and goroutines that the
// purge gives back; the store grows with the workflows).
func TestBenchFootprintFigures(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	const n = 200
	out, err := runCmd(t, "bench", "footprint", "--n", "200", "--data-dir", t.TempDir())
	if err != nil {
		t.Fatalf("bench footprint: %v\n%s", err, out)
	}
	for _, want := range []string{"per cached workflow (worker)", "per open workflow, Temporal SQLite store", "worker stopped, cache purged"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var r FootprintReport
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("last line is not the report: %v\n%s", err, out)
	}
	heap, stack, goroutines := r.perCached()
	switch {
	case r.N != n || r.Open != n:
		t.Errorf("%d of %d lifecycles open and idle", r.Open, r.N)
	case heap <= 0 || stack <= 0:
		t.Errorf("per cached workflow: heap %.0f B, stacks %.0f B; want both positive", heap, stack)
	case goroutines < 0.5:
		t.Errorf("%.2f goroutines per cached workflow; a cached workflow keeps its main coroutine's", goroutines)
	case r.perStored() <= 0:
		t.Errorf("store %d B empty, %d B with %d workflows", r.StoreEmpty, r.StoreFull, n)
	case r.AppDB <= 0:
		t.Errorf("app database %d B", r.AppDB)
	}
	t.Logf("\n%s", out)
}
