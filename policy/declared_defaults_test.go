package policy

import "testing"

// The blocks merged for issues 11 and 12 that no other test names by
// authority: Bracknell Forest's grace before a purge (BF-CONF-2) and
// Plymouth's due days moved off non-working days (P-WD-1).
func TestGraceBF_CONF_2AndWorkingDaysP_WD_1(t *testing.T) {
	r := loadAll(t)
	bf := packOn(t, r, "bracknell-forest", "2026-12-01")
	if g := bf.Retention.Grace; g == nil || g.Rule != "BF-CONF-2" || g.Period.String() != "30d" {
		t.Errorf("Bracknell Forest's grace before a purge: %+v, want 30d under BF-CONF-2", g)
	}
	ply := packOn(t, r, "plymouth", "2026-12-01")
	n := ply.ASYE.NonWorkingDay
	if n == nil || n.Rule != "P-WD-1" || n.Move != MoveEarlier {
		t.Fatalf("Plymouth's non-working-day rule: %+v, want earlier under P-WD-1", n)
	}
	cal := NewCalendar(nil)
	// Good Friday is 26 March 2027: a due day that weekend or on Easter
	// Monday moves to Thursday 25 March.
	for _, c := range []struct{ due, want string }{
		{"2027-03-27", "2027-03-25"}, // Saturday, the day after Good Friday
		{"2027-03-29", "2027-03-25"}, // Easter Monday
		{"2027-03-24", "2027-03-24"}, // a Wednesday stays
	} {
		if got := n.Adjust(mustDate(t, c.due), cal).String(); got != c.want {
			t.Errorf("Plymouth ASYE session due %s moves to %s, want %s", c.due, got, c.want)
		}
	}
}
