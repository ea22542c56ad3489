package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	for _, p := range loadAll(t).Packs() {
		text := p.Describe()
		// Every rule, in plain words, with its engine status.
		for _, r := range p.Rules {
			status := "enforced"
			if r.Engine == NotYet {
				status = "not yet enforced"
			}
			if want := fmt.Sprintf("  %s (%s): %s\n", r.ID, status, r.Says); !strings.Contains(text, want) {
				t.Errorf("%s: Describe lacks %q", p.Authority, want)
			}
		}
		// Sections in order, each once.
		last := -1
		for s := 1; s <= 10; s++ {
			head := fmt.Sprintf("\n§%d %s\n", s, Sections[s])
			i := strings.Index(text, head)
			if i < 0 || i < last || strings.Count(text, head) != 1 {
				t.Errorf("%s: section %d missing or out of order", p.Authority, s)
			}
			last = i
		}
		if !strings.HasPrefix(text, p.Name+" ("+p.Authority+"), policy pack version "+p.Version+"\n") {
			t.Errorf("%s: header %q", p.Authority, strings.SplitN(text, "\n", 2)[0])
		}
	}
	p := packOn(t, loadAll(t), "bolton", "2025-01-01")
	text := p.Describe()
	for _, want := range []string{
		"ASYE schedule the engine runs (12mo long):",
		"  - a session at least every 1mo, from 0d to the end [B-ASYE-1]",
		"  - sessions last 90 to 120 minutes [B-PS-3]",
		"  - caseload share 80% of a qualified worker's from 0d [B-ASYE-2]",
		"  - paused for: sickness, parental leave, compassionate leave; never for: annual leave, workload, performance [B-ASYE-5]",
		"  - an overdue duty stays overdue; it is not escalated (the 5wd escalation is a securebase default, shown only until the council sets it) [B-ASYE-7]",
		"      source: securebase default (policy silent)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Bolton's description lacks %q", want)
		}
	}
	if !strings.Contains(packOn(t, loadAll(t), "plymouth", "2025-01-01").Describe(), "§7 Caseload\n  The policy has no rule in this section.") {
		t.Error("an empty section says so")
	}
}

func TestSchedule(t *testing.T) {
	r := loadAll(t)
	start := mustDate(t, "2025-09-01")
	s, err := r.Schedule("surrey", "NQSW", start, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	want := `{"pack":{"authority":"surrey","version":"2025.1"},"role":"nqsw","programme":"ASYE","start":"2025-09-01","end":"2026-09-01","items":[` +
		`{"kind":"session","name":"session 1","due":"2025-10-01","rule":"S-ASYE-1","every":{"n":1,"unit":"mo"}},` +
		// Saturday 1 November and Sunday 30 November move earlier (S-WD-1), and show it.
		`{"kind":"session","name":"session 2","due":"2025-10-31","rule":"S-ASYE-1","every":{"n":1,"unit":"mo"},"moved_from":"2025-11-01","moved_by":"S-WD-1"},` +
		`{"kind":"session","name":"session 3","due":"2025-11-28","rule":"S-ASYE-1","every":{"n":1,"unit":"mo"},"moved_from":"2025-11-30","moved_by":"S-WD-1"},` +
		`{"kind":"review","name":"3-month","due":"2025-12-01","rule":"S-ASYE-3"}]}`
	if string(b) != want {
		t.Errorf("schedule JSON:\n%s\nwant\n%s", b, want)
	}
	for _, c := range []struct {
		authority, role string
		count           int
		want            string
	}{
		{"surrey", "astronaut", 0, `no role "astronaut"`},
		{"surrey", "nqsw", -1, "count -1"},
		{"cumbria", "nqsw", 0, `unknown authority "cumbria"`},
	} {
		if _, err := r.Schedule(c.authority, c.role, start, c.count); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s %d: %v, want %q", c.authority, c.role, c.count, err, c.want)
		}
	}
	if _, err := r.Schedule("surrey", "nqsw", Date{}, 0); err == nil {
		t.Error("no start date accepted")
	}
}
