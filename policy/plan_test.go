package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func loadAll(t testing.TB) *Registry {
	t.Helper()
	r, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func packOn(t testing.TB, r *Registry, authority, on string) *Pack {
	t.Helper()
	p, err := r.Pack(authority, mustDate(t, on))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// summary writes a plan as "due kind rule" lines, for comparing.
func summary(items []PlannedItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Due.String()+" "+it.Kind+" "+it.Name+" "+it.Rule)
	}
	return out
}

func TestCumberlandASYEPlan(t *testing.T) {
	p := packOn(t, loadAll(t), "cumberland", "2025-09-01")
	start := mustDate(t, "2025-09-01")
	got := summary(p.ASYE.Plan(start, 0, p.Calendar()))
	want := []string{
		// weekly for the first 6 weeks
		"2025-09-08 session session 1 C-ASYE-2",
		"2025-09-15 session session 2 C-ASYE-2",
		"2025-09-22 session session 3 C-ASYE-2",
		"2025-09-29 session session 4 C-ASYE-2",
		"2025-10-06 session session 5 C-ASYE-2",
		"2025-10-13 session session 6 C-ASYE-2",
		// fortnightly up to the 6-month review
		"2025-10-27 session session 7 C-ASYE-3",
		"2025-11-10 session session 8 C-ASYE-3",
		"2025-11-24 session session 9 C-ASYE-3",
		"2025-12-01 review 3-month C-ASYE-7",
		"2025-12-08 session session 10 C-ASYE-3",
		"2025-12-22 session session 11 C-ASYE-3",
		"2026-01-05 session session 12 C-ASYE-3",
		"2026-01-19 session session 13 C-ASYE-3",
		"2026-02-02 session session 14 C-ASYE-3",
		"2026-02-16 session session 15 C-ASYE-3",
		"2026-02-27 review 6-month C-ASYE-6",     // Sunday 1 March moves earlier (C-WD-1)
		"2026-03-02 session session 16 C-ASYE-3", // set by the fortnightly phase
		// at least monthly thereafter; a weekend or bank holiday moves earlier
		"2026-04-02 session session 17 C-ASYE-4",
		"2026-05-01 session session 18 C-ASYE-4", // not Saturday 2 May
		"2026-06-01 session session 19 C-ASYE-4",
		"2026-07-01 session session 20 C-ASYE-4",
		"2026-07-31 session session 21 C-ASYE-4", // not Saturday 1 August
		"2026-08-28 session session 22 C-ASYE-4", // not the bank holiday, 31 August
		"2026-09-01 review 12-month C-ASYE-7",
	}
	if !slices.Equal(got, want) {
		t.Errorf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestBoltonASYEPlan(t *testing.T) {
	p := packOn(t, loadAll(t), "bolton", "2025-09-01")
	start := mustDate(t, "2025-09-01")
	items := p.ASYE.Plan(start, 0, p.Calendar())
	var sessions []string
	for _, it := range items {
		if it.Kind == KindSession {
			sessions = append(sessions, it.Due.String())
			if it.Rule != "B-ASYE-1" || it.Every != (Period{1, Months}) {
				t.Errorf("%s: %s every %s", it.Name, it.Rule, it.Every)
			}
		}
	}
	// Each session held on its due day, moved earlier off weekends and bank
	// holidays (B-WD-1): the next is a month from the day it was held.
	want := []string{"2025-10-01", "2025-10-31", "2025-11-28", "2025-12-24", "2026-01-23", "2026-02-23",
		"2026-03-23", "2026-04-23", "2026-05-22", "2026-06-22", "2026-07-22", "2026-08-21"}
	if !slices.Equal(sessions, want) {
		t.Errorf("sessions %v\nwant %v", sessions, want)
	}
	// Sessions and reviews interleave in date order.
	if items[2].Kind != KindSession || items[3].Kind != KindReview || items[3].Due.String() != "2025-12-01" {
		t.Errorf("interleaving: %v", summary(items[:4]))
	}
	if n, rule := p.ASYE.ShareAt(start, mustDate(t, "2026-02-01"), p.Calendar()); n != 80 || rule != "B-ASYE-2" {
		t.Errorf("share %d %s", n, rule)
	}
	if p.ASYE.MinSessionMinutes != 90 || p.ASYE.MaxSessionMinutes != 120 {
		t.Errorf("session length %d-%d", p.ASYE.MinSessionMinutes, p.ASYE.MaxSessionMinutes)
	}
}

// The seeds differ, so the same start gives each authority its own schedule:
// Cumberland and Bracknell Forest share a cadence on paper but differ in
// rules and session length; Plymouth, Surrey and Bolton are monthly under
// different rules, and only Bolton sets a caseload share.
func TestEachAuthorityItsOwnASYE(t *testing.T) {
	r := loadAll(t)
	start := mustDate(t, "2025-09-01")
	plans := map[string][]PlannedItem{}
	for _, a := range KnownAuthorities {
		p := packOn(t, r, a, start.String())
		plans[a] = p.ASYE.Plan(start, 0, p.Calendar())
		if len(plans[a]) == 0 {
			t.Fatalf("%s: empty plan", a)
		}
		prefix := map[string]string{"cumberland": "C-", "plymouth": "P-", "bracknell-forest": "BF-", "surrey": "S-", "bolton": "B-"}[a]
		for _, it := range plans[a] {
			if !strings.HasPrefix(it.Rule, prefix) {
				t.Errorf("%s: %s cites %s", a, it.Name, it.Rule)
			}
		}
	}
	for i, a := range KnownAuthorities {
		for _, b := range KnownAuthorities[i+1:] {
			if reflect.DeepEqual(plans[a], plans[b]) {
				t.Errorf("%s and %s have the same plan", a, b)
			}
		}
	}
	count := func(a string) int {
		n := 0
		for _, it := range plans[a] {
			if it.Kind == KindSession {
				n++
			}
		}
		return n
	}
	if count("cumberland") != 22 || count("bracknell-forest") != 21 || count("bolton") != 12 {
		t.Errorf("sessions: cumberland %d, bracknell-forest %d, bolton %d", count("cumberland"), count("bracknell-forest"), count("bolton"))
	}
	lengths := map[string][2]int{}
	for _, a := range KnownAuthorities {
		p := packOn(t, r, a, "2025-09-01")
		lengths[a] = [2]int{p.ASYE.MinSessionMinutes, p.ASYE.MaxSessionMinutes}
	}
	if lengths["cumberland"] != [2]int{0, 90} || lengths["bracknell-forest"] != [2]int{60, 120} || lengths["bolton"] != [2]int{90, 120} {
		t.Errorf("session lengths %v", lengths)
	}
}

func TestIntervalAtAndNextDue(t *testing.T) {
	p := packOn(t, loadAll(t), "bracknell-forest", "2025-09-01")
	a, cal := p.ASYE, p.Calendar()
	start := mustDate(t, "2025-09-01")
	for on, want := range map[string]string{
		"2025-08-01": "1w", // before the start: the first phase
		"2025-09-01": "1w",
		"2025-10-12": "1w",
		"2025-10-13": "2w", // 6 weeks
		"2026-02-28": "2w",
		"2026-03-01": "1cmo", // 6 months: every calendar month (BF-ASYE-3)
		"2027-01-01": "1cmo", // after the end: the last phase
	} {
		if got := a.IntervalAt(start, mustDate(t, on), cal).String(); got != want {
			t.Errorf("IntervalAt %s = %s, want %s", on, got, want)
		}
	}
	if got := a.NextDue(start, mustDate(t, "2025-10-20"), cal); got.String() != "2025-11-03" {
		t.Errorf("NextDue = %s", got)
	}
	if got := a.End(start, cal); got.String() != "2026-09-01" {
		t.Errorf("End = %s", got)
	}
	var reviews []string
	for _, r := range a.ReviewDates(start, cal) {
		reviews = append(reviews, r.Name+" "+r.Due.String())
	}
	// Sunday 1 March 2026 moves to Friday 27 February (BF-WD-1).
	if want := []string{"3-month 2025-12-01", "6-month 2026-02-27", "12-month 2026-09-01"}; !slices.Equal(reviews, want) {
		t.Errorf("reviews %v", reviews)
	}
	if n, rule := a.ShareAt(start, start, cal); n != 0 || rule != "" {
		t.Errorf("Bracknell Forest sets no share, got %d %s", n, rule)
	}
}

func TestShareAtSteps(t *testing.T) {
	a := ASYE{CaseloadShare: []Share{
		{From: Period{0, Days}, Percent: 80, Rule: "X-1"},
		{From: Period{6, Months}, Percent: 90, Rule: "X-2"},
	}}
	start := mustDate(t, "2025-09-01")
	for on, want := range map[string]int{"2025-08-31": 0, "2025-09-01": 80, "2026-02-28": 80, "2026-03-01": 90} {
		if got, _ := a.ShareAt(start, mustDate(t, on), nil); got != want {
			t.Errorf("ShareAt %s = %d, want %d", on, got, want)
		}
	}
}

func TestPlanCount(t *testing.T) {
	p := packOn(t, loadAll(t), "cumberland", "2025-09-01")
	start := mustDate(t, "2025-09-01")
	full := p.ASYE.Plan(start, 0, p.Calendar())
	for _, n := range []int{1, 5, 10, len(full), len(full) + 5} {
		got := p.ASYE.Plan(start, n, p.Calendar())
		want := full[:min(n, len(full))]
		if !reflect.DeepEqual(got, want) {
			t.Errorf("count %d: %v", n, summary(got))
		}
	}
}

// Plans are deterministic, ordered and inside the programme, for any start.
func TestPlanProperties(t *testing.T) {
	r := loadAll(t)
	for _, a := range KnownAuthorities {
		for d := mustDate(t, "2025-01-01"); d.Before(mustDate(t, "2026-01-01")); d = d.AddDays(3) {
			p := packOn(t, r, a, d.String())
			cal := p.Calendar()
			items := p.ASYE.Plan(d, 0, cal)
			if again := p.ASYE.Plan(d, 0, cal); !reflect.DeepEqual(items, again) {
				t.Fatalf("%s %s: plan not deterministic", a, d)
			}
			end := p.ASYE.End(d, cal)
			reviews := 0
			for i, it := range items {
				if !it.Due.After(d) || it.Due.After(end) {
					t.Fatalf("%s %s: %s due %s outside the programme to %s", a, d, it.Name, it.Due, end)
				}
				if i > 0 && it.Due.Before(items[i-1].Due) {
					t.Fatalf("%s %s: out of order at %s", a, d, it.Name)
				}
				if it.Kind == KindReview {
					reviews++
				}
			}
			if reviews != len(p.ASYE.Reviews) {
				t.Fatalf("%s %s: %d reviews", a, d, reviews)
			}
			// No gap between sessions is longer than the interval in force.
			prev := d
			for _, it := range items {
				if it.Kind != KindSession {
					continue
				}
				if limit := it.Every.AddTo(prev, cal); it.Due.After(limit) {
					t.Fatalf("%s %s: %s due %s after %s", a, d, it.Name, it.Due, limit)
				}
				prev = it.Due
			}
		}
	}
}

// Workflows receive the ASYE block in their start input: it must come back
// from JSON exactly, with periods in their structured form.
func TestASYEJSONRoundTrip(t *testing.T) {
	for _, p := range loadAll(t).Packs() {
		b, err := json.Marshal(p.ASYE)
		if err != nil {
			t.Fatal(err)
		}
		var back ASYE
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, p.ASYE) {
			t.Errorf("%s: JSON round trip changed the ASYE block:\n%+v\n%+v", p.Authority, back, p.ASYE)
		}
		if !strings.Contains(string(b), fmt.Sprintf(`"length":{"n":%d,"unit":"mo"}`, p.ASYE.Length.N)) || p.ASYE.Length.N == 0 {
			t.Errorf("%s: length not structured: %s", p.Authority, b)
		}
	}
}
