package policy

import (
	"strings"
	"testing"
)

func embeddedPack(t *testing.T, authority, on string) *Pack {
	t.Helper()
	reg, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	p, err := reg.Pack(authority, mustDate(t, on))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Issue 12 item 4: "every calendar month" is a session in each calendar
// month, not a month from the last one: seen 4 January, the next is due by
// the end of February (Sunday 28 February 2027, so Friday 26th), never 4
// February; 25 February is on time.
func TestCalendarMonthCadenceBF_PS_1(t *testing.T) {
	p, err := ParsePeriod("1cmo")
	if err != nil || p != (Period{N: 1, Unit: CalendarMonths}) || p.String() != "1cmo" {
		t.Fatalf("ParsePeriod(1cmo) = %v, %v", p, err)
	}
	for _, c := range []struct{ from, want string }{
		{"2027-01-04", "2027-02-28"}, {"2027-01-31", "2027-02-28"}, {"2024-01-01", "2024-02-29"}, {"2026-12-15", "2027-01-31"},
	} {
		if got := p.AddTo(mustDate(t, c.from), nil); got.String() != c.want {
			t.Errorf("1cmo after %s = %s, want %s", c.from, got, c.want)
		}
	}
	pack := embeddedPack(t, "bracknell-forest", "2027-01-04")
	cad := pack.PersonalSupervision.CadenceFor("social_worker")
	if cad.Every != p || cad.Rule != "BF-PS-1" {
		t.Fatalf("Bracknell Forest case-holding cadence %v under %s, want 1cmo under BF-PS-1", cad.Every, cad.Rule)
	}
	cal := pack.Calendar()
	due := pack.PersonalSupervision.NonWorkingDay.Adjust(cad.Every.AddTo(mustDate(t, "2027-01-04"), cal), cal)
	if due.String() != "2027-02-26" {
		t.Errorf("seen 4 January 2027: next due %s, want 2027-02-26 (the last working day of February)", due)
	}
	if !cal.IsWorkingDay(due) || mustDate(t, "2027-02-25").After(due) {
		t.Errorf("a session on 25 February must be on time (due %s)", due)
	}
}

// Issue 12 item 3: a due day on a weekend or bank holiday moves earlier, to
// the last working day before it, in every pack that says so.
func TestNonWorkingDayMovesEarlier(t *testing.T) {
	n := &NonWorkingDay{Move: MoveEarlier, Rule: "C-WD-1"}
	cal := NewCalendar(nil)
	for _, c := range []struct{ on, want string }{
		{"2027-03-29", "2027-03-25"}, // Easter Monday; Good Friday before it
		{"2027-04-04", "2027-04-02"}, // a Sunday
		{"2026-12-28", "2026-12-24"}, // Boxing Day substitute, Christmas, weekend
		{"2027-03-24", "2027-03-24"}, // a working day stays
	} {
		if got := n.Adjust(mustDate(t, c.on), cal); got.String() != c.want {
			t.Errorf("earlier from %s = %s, want %s", c.on, got, c.want)
		}
	}
	later := &NonWorkingDay{Move: MoveLater}
	if got := later.Adjust(mustDate(t, "2027-03-26"), cal); got.String() != "2027-03-30" {
		t.Errorf("later from Good Friday = %s, want 2027-03-30", got)
	}
	var none *NonWorkingDay
	if got := none.Adjust(mustDate(t, "2027-03-29"), cal); got.String() != "2027-03-29" {
		t.Errorf("no rule moved the day to %s", got)
	}
}

// Issue 12 item 3: Cumberland's fortnightly ASYE session that fell on Easter
// Monday 2027, and its 3-month review on a Sunday, fall on working
// days; no pack plans an ASYE duty on a day nobody works.
func TestASYEPlanOnWorkingDaysC_WD_1(t *testing.T) {
	start := mustDate(t, "2027-01-04")
	pack := embeddedPack(t, "cumberland", "2027-01-04")
	cal := pack.Calendar()
	plan := pack.ASYE.Plan(start, 0, cal)
	found := map[string]bool{}
	for _, it := range plan {
		found[it.Kind+" "+it.Due.String()] = true
	}
	for _, want := range []string{"session 2027-03-25", "review 2027-04-02"} {
		if !found[want] {
			t.Errorf("plan has no %s: %v", want, plan)
		}
	}
	for _, a := range KnownAuthorities {
		p := embeddedPack(t, a, "2027-01-04")
		for _, s := range []string{"2027-01-04", "2026-12-24", "2027-02-27", "2027-05-31"} {
			for _, it := range p.ASYE.Plan(mustDate(t, s), 0, p.Calendar()) {
				if !p.Calendar().IsWorkingDay(it.Due) {
					t.Errorf("%s, start %s: %s %s due on a non-working day %s", a, s, it.Kind, it.Name, it.Due)
				}
			}
		}
	}
}

// Issue 12 item 1: "generally between one and two hours" (BF-PS-4) and
// "generally 1.5-2 hours" (B-PS-3) are guidance: a 75-minute session is
// short and flagged, not refused; a limit refuses it; a pack must say which.
func TestSessionLengthGuidanceBF_PS_4_B_PS_3(t *testing.T) {
	for _, c := range []struct{ authority, rule string }{{"bracknell-forest", "BF-PS-4"}, {"bolton", "B-PS-3"}} {
		p := embeddedPack(t, c.authority, "2027-01-04")
		for name, short := range map[string]func(int) (ShortSession, bool){
			"personal": p.PersonalSupervision.SessionMinutes.Short, "asye": p.ASYE.Short,
		} {
			s, ok := short(45)
			if !ok || s.Refused() || s.Rule != c.rule || s.Bound != BoundGuidance {
				t.Errorf("%s %s: 45 minutes gives %+v, %v; want flagged as guidance under %s", c.authority, name, s, ok, c.rule)
			}
			if _, ok := short(120); ok {
				t.Errorf("%s %s: 120 minutes flagged short", c.authority, name)
			}
		}
	}
	limit := &SessionLength{Min: 90, Max: 120, Bound: BoundLimit, Rule: "X-1"}
	if s, ok := limit.Short(75); !ok || !s.Refused() || !strings.Contains(s.Message(), "under the minimum of 90") {
		t.Errorf("a limit: %+v %v", s, ok)
	}
}
