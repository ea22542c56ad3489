package workflows

import (
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// retentionHarness runs one Retention in the time-skipping environment
// with in-memory holds and a purge that remembers when it ran.
type retentionHarness struct {
	*harness
	mu       sync.Mutex
	holds    map[int64]bool // id -> active
	purgedAt time.Time
	purges   int
}

func newRetentionHarness(t *testing.T, leftOn policy.Date) *retentionHarness {
	h := &retentionHarness{harness: newHarness(t, leftOn), holds: map[int64]bool{}}
	h.env.RegisterWorkflowWithOptions(Retention, workflow.RegisterOptions{Name: RetentionWorkflow})
	h.env.RegisterActivityWithOptions(func(in activities.HoldsInput) (activities.HoldsResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		res := activities.HoldsResult{Active: []int64{}}
		for id, active := range h.holds {
			if active {
				res.Active = append(res.Active, id)
			}
		}
		return res, nil
	}, activity.RegisterOptions{Name: activities.ActiveHoldsName})
	h.env.RegisterActivityWithOptions(func(in activities.PurgeInput) (activities.PurgeResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.purges++
		h.purgedAt = h.env.Now()
		h.events = append(h.events, in.Event)
		return activities.PurgeResult{Applied: true, Purged: models.Purged{SupervisionRecords: 3, Sessions: 3}}, nil
	}, activity.RegisterOptions{Name: activities.PurgePersonalRecordsName})
	return h
}

func retentionInput(t *testing.T, authority string, leftOn policy.Date) RetentionInput {
	t.Helper()
	pack, err := registry.Pack(authority, leftOn)
	if err != nil {
		t.Fatal(err)
	}
	return RetentionInput{StaffID: "sw-1", Authority: authority, Team: "north", PackVersion: pack.Version,
		LeftOn: leftOn, Rule: pack.Retention, Actor: "hr-1"}
}

func (h *retentionHarness) state() RetentionState {
	h.t.Helper()
	v, err := h.env.QueryWorkflow(QueryRetention)
	if err != nil {
		h.t.Fatal(err)
	}
	var s RetentionState
	if err := v.Get(&s); err != nil {
		h.t.Fatal(err)
	}
	return s
}

// Each authority's period from the leaving day, to the day: Bracknell
// Forest and Surrey 7 years, Bolton 3; the purge cites the pack's rule, and
// nothing is purged the day before.
func TestRetentionPurgesAfterEachPacksPeriod(t *testing.T) {
	left := date(t, "2026-03-31")
	for _, tc := range []struct{ authority, purgeOn, rule string }{
		{"bracknell-forest", "2033-03-31", "BF-CONF-1"},
		{"surrey", "2033-03-31", "S-CONF-3"},
		{"bolton", "2029-03-31", "B-CONF-2"},
	} {
		t.Run(tc.authority, func(t *testing.T) {
			h := newRetentionHarness(t, left)
			purgeOn := date(t, tc.purgeOn)
			h.at(left, func() {
				if s := h.state(); s.Status != RetentionWaiting || s.PurgeOn != purgeOn || s.Rule != tc.rule {
					t.Errorf("after leaving: %+v, want waiting to purge on %s under %s", s, purgeOn, tc.rule)
				}
			})
			h.at(purgeOn.AddDays(-1), func() {
				if h.purges != 0 {
					t.Errorf("purged on %s, before its day", purgeOn.AddDays(-1))
				}
			})
			h.env.ExecuteWorkflow(RetentionWorkflow, retentionInput(t, tc.authority, left))
			if err := h.env.GetWorkflowError(); err != nil {
				t.Fatal(err)
			}
			var st RetentionState
			if err := h.env.GetWorkflowResult(&st); err != nil {
				t.Fatal(err)
			}
			if h.purges != 1 || policy.DateOf(h.purgedAt) != purgeOn || st.Status != RetentionPurged || st.Purged == nil {
				t.Fatalf("purged %d time(s) on %s, ended %+v; want once on %s", h.purges, policy.DateOf(h.purgedAt), st, purgeOn)
			}
			ev := h.actions("retention.purged")
			if len(ev) != 1 || ev[0].RuleID != tc.rule || ev[0].EventID != "purged" {
				t.Fatalf("purge event %+v, want one under %s", ev, tc.rule)
			}
			if s := h.actions("retention.scheduled"); len(s) != 1 || s[0].RuleID != tc.rule || s[0].Detail["purge_on"] != tc.purgeOn {
				t.Fatalf("scheduled %+v", s)
			}
		})
	}
}

// A pack without a retention period (Cumberland, Plymouth) never purges: the
// lifecycle records that and ends.
func TestRetentionWithoutPeriodNeverPurges(t *testing.T) {
	left := date(t, "2026-03-31")
	for _, authority := range []string{"cumberland", "plymouth"} {
		t.Run(authority, func(t *testing.T) {
			h := newRetentionHarness(t, left)
			in := retentionInput(t, authority, left)
			if in.Rule != nil {
				t.Fatalf("%s's pack has retention %+v", authority, in.Rule)
			}
			h.env.ExecuteWorkflow(RetentionWorkflow, in)
			var st RetentionState
			if err := h.env.GetWorkflowResult(&st); err != nil {
				t.Fatal(err)
			}
			if st.Status != RetentionKept || !st.PurgeOn.IsZero() || h.purges != 0 || len(h.actions("retention.no_period")) != 1 {
				t.Fatalf("ended %+v after %d purges", st, h.purges)
			}
			if h.env.Now().After(h.start.Add(time.Hour)) {
				t.Fatalf("waited until %v for nothing", h.env.Now())
			}
		})
	}
}

// A hold stops the purge when it falls due; lifting one of two does not
// release it; the purge happens when the last is lifted (by signal, not
// waiting for the re-check).
func TestRetentionHoldBlocksPurgeUntilLifted(t *testing.T) {
	left := date(t, "2026-03-31")
	h := newRetentionHarness(t, left)
	purgeOn := date(t, "2029-03-31") // Bolton: 3 years
	h.holds[1], h.holds[2] = true, true
	lift := func(id int64) func() {
		return func() {
			h.mu.Lock()
			h.holds[id] = false
			h.mu.Unlock()
			h.env.SignalWorkflow(SignalHoldLifted, id)
		}
	}
	h.at(purgeOn.AddDays(10), func() {
		if s := h.state(); s.Status != RetentionHeld || len(s.Holds) != 2 || h.purges != 0 {
			t.Errorf("10 days past due under two holds: %+v, %d purges", s, h.purges)
		}
	})
	h.atHour(purgeOn.AddDays(20), 10, lift(1))
	h.at(purgeOn.AddDays(30), func() {
		if s := h.state(); s.Status != RetentionHeld || len(s.Holds) != 1 || h.purges != 0 {
			t.Errorf("one hold left: %+v, %d purges", s, h.purges)
		}
	})
	lastLift := time.Date(2029, 5, 15, 10, 0, 0, 0, policy.London)
	h.atHour(policy.DateOf(lastLift), 10, lift(2))
	h.env.ExecuteWorkflow(RetentionWorkflow, retentionInput(t, "bolton", left))
	var st RetentionState
	if err := h.env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	if h.purges != 1 || h.purgedAt.Before(lastLift) || h.purgedAt.Sub(lastLift) > time.Minute {
		t.Fatalf("purged %d time(s) at %v; want once, as the last hold (%v) was lifted", h.purges, h.purgedAt, lastLift)
	}
	if held := h.actions("retention.held"); len(held) != 2 || held[0].EventID != "held:1,2" || held[1].EventID != "held:2" {
		t.Fatalf("held events %+v", held)
	}
}

// Over seven years the history grows: when Temporal suggests it, the
// lifecycle continues as new with its absolute purge date unchanged.
func TestRetentionContinuesAsNewKeepingPurgeDate(t *testing.T) {
	left := date(t, "2026-03-31")
	h := newRetentionHarness(t, left)
	in := retentionInput(t, "bracknell-forest", left)
	st := RetentionState{StaffID: "sw-1", Status: RetentionWaiting, LeftOn: left, PurgeOn: date(t, "2033-03-31"), Period: "7y", Rule: "BF-CONF-1"}
	in.State = &st
	h.env.SetContinueAsNewSuggested(true)
	h.env.ExecuteWorkflow(RetentionWorkflow, in)
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	if !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	var next RetentionInput
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	if next.State == nil || next.State.PurgeOn != st.PurgeOn || next.LeftOn != left || len(h.actions("retention.scheduled")) != 0 {
		t.Fatalf("continued with %+v (state %+v), scheduled events %d", next, next.State, len(h.actions("retention.scheduled")))
	}
}
