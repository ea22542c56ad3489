package workflows

import (
	"slices"
	"testing"

	"github.com/securebase/securebase/policy"
)

// Issue 12, item 8: the ASYE lifecycle runs the early career development
// programme from pack data alone. A worker starting on 6 September 2027 is
// given Bolton's 2027.1 version: two years, reviewed at 18 and 24 months
// (B-ECDP-3), monthly sessions in the second year (B-ECDP-2). One starting
// a week before runs the one-year ASYE to its end.
func TestASYELifecycleRunsTheECDPFromPackData(t *testing.T) {
	for _, c := range []struct {
		start, end, version string
		reviews             []string
	}{
		{"2027-09-06", "2029-09-06", "2027.1", []string{"review:3-month", "review:6-month", "review:12-month", "review:18-month", "review:24-month"}},
		{"2027-08-30", "2028-08-30", "2025.1", []string{"review:3-month", "review:6-month", "review:12-month"}},
	} {
		t.Run(c.start, func(t *testing.T) {
			start := date(t, c.start)
			h := newHarness(t, start)
			var got Schedule
			h.at(start, func() { got = h.schedule() })
			h.at(start.AddDays(1), func() { h.env.CancelWorkflow() })
			h.env.ExecuteWorkflow(ASYEWorkflow, asyeInput(t, "bolton", start))
			if got.Pack.Version != c.version || got.End.String() != c.end {
				t.Fatalf("pack %s, ends %s; want %s, %s", got.Pack.Version, got.End, c.version, c.end)
			}
			var reviews []string
			for _, it := range got.Items {
				if it.Kind == "asye_review" {
					reviews = append(reviews, it.Key)
				}
			}
			if !slices.Equal(reviews, c.reviews) {
				t.Errorf("reviews %v, want %v", reviews, c.reviews)
			}
			if c.version == "2027.1" {
				i := slices.IndexFunc(got.Items, func(it Item) bool { return it.Key == "review:24-month" })
				if i < 0 || got.Items[i].Rule != "B-ECDP-3" || got.Items[i].Due.String() != c.end {
					t.Errorf("the final review: %+v", got.Items)
				}
				in := asyeInput(t, "bolton", start)
				if every, rule := in.Rules.IntervalAt(start, date(t, "2028-10-01"), policy.NewCalendar(nil)), in.Rules.PhaseRuleAt(start, date(t, "2028-10-01"), policy.NewCalendar(nil)); every.String() != "1mo" || rule != "B-ECDP-2" {
					t.Errorf("second year: every %s under %s", every, rule)
				}
			}
		})
	}
}
