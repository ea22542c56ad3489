package api

import (
	"slices"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// An NQSW imported part way through the programme, employed long before it
// began (asye_start after start_date): their caseload share runs from the
// programme's start, not their start date.
func TestASYEShareFromProgrammeStart(t *testing.T) {
	reg, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	on, _ := policy.ParseDate("2026-07-01")
	programme, _ := policy.ParseDate("2026-06-01")
	employed, _ := policy.ParseDate("2024-01-05")
	bolton, err := reg.Pack("bolton", on)
	if err != nil {
		t.Fatal(err)
	}
	// Bolton's share (80% from the start) stepped up at six months, as a
	// council's pack may set it.
	pack := *bolton
	pack.ASYE.CaseloadShare = append(slices.Clone(bolton.ASYE.CaseloadShare), policy.Share{From: policy.Period{N: 6, Unit: policy.Months}, Percent: 90, Rule: "X-ASYE-STEP"})
	want, _ := pack.ASYE.ShareAt(programme, on, pack.Calendar())
	if old, _ := pack.ASYE.ShareAt(employed, on, pack.Calendar()); old == want {
		t.Fatalf("the pack's share is %d%% a month in and 2.5 years in: the test cannot tell them apart", want)
	}
	st := &models.Staff{ID: "nq-1", Role: "nqsw", StartDate: employed.String(), ASYEStart: programme.String()}
	if got := (&Server{}).asyeShare(&pack, st, on); got != want {
		t.Errorf("share %d%%, want %d%% (a month into the programme begun %s)", got, want, programme)
	}
}
