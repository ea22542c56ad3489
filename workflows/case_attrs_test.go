package workflows

import (
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
)

// A case started with every search attribute set (an import's, or the
// API's allocation: CaseStartAttributes) upserts none on its first task
// (h1-attrs-at-start-v1): one visibility write a case fewer. A case started
// with the four base attributes upserts its supervisor and status as before,
// and either upserts again when its holder changes (a transfer).
func TestCaseAttrsAtStart(t *testing.T) {
	on := date(t, "2026-01-05")
	for _, tc := range []struct {
		atStart bool
		first   int // upserts before the transfer
	}{{false, 1}, {true, 0}} {
		h, _ := caseHarness(t, on)
		var upserts []temporal.SearchAttributes
		h.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
			upserts = append(upserts, args.Get(0).(temporal.SearchAttributes))
		}).Return(nil)
		in := caseInput(t, "cumberland", "child_protection", on)
		in.AttrsAtStart = tc.atStart
		var before int
		h.atHour(on, 11, func() { before = len(upserts) })
		h.at(on.AddDays(1), func() {
			h.update(UpdateCaseDecision, DecisionInput{RequestID: "d1", Kind: "transfer", DecidedOn: on.AddDays(1), Why: "team change", Actor: "hos-1"}, h.ok("decision"))
			h.update(UpdateCaseTransfer, TransferInput{RequestID: "t1", ToWorkerID: "sw-2", ToTeam: "south", ToSupervisorID: "tm-2", ToManagerID: "hos-1", On: on.AddDays(1), Actor: "tm-1"}, h.ok("transfer"))
			h.update(UpdateCaseSupervision, CaseSupervisionInput{RequestID: "ts", Kind: "transfer", HeldOn: on.AddDays(1), SupervisorID: "tm-1", Actor: "tm-1"}, h.ok("transfer supervision"))
		})
		h.at(on.AddDays(3), func() { h.env.CancelWorkflow() })
		h.env.ExecuteWorkflow(CaseWorkflow, in)
		if before != tc.first || len(upserts) <= before {
			t.Errorf("attributes set at start %v: %d upserts on the first task, want %d; %d in all, want one more after the transfer", tc.atStart, before, tc.first, len(upserts))
		}
		sup, _ := upserts[len(upserts)-1].GetKeyword(AttrSupervisor)
		if sup != "tm-2" {
			t.Errorf("attributes set at start %v: last upsert's supervisor %q, want tm-2", tc.atStart, sup)
		}
	}
}
