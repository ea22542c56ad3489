package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// servePacks answers NextPack in env from the packs packs returns (nil, or
// a nil func: no later version is loaded, so no lifecycle moves).
func servePacks(env *testsuite.TestWorkflowEnvironment, packs func() *policy.Registry) {
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.NextPackInput) (activities.NextPackResult, error) {
		var reg *policy.Registry
		if packs != nil {
			reg = packs()
		}
		return activities.Activities{Packs: reg}.NextPack(ctx, in)
	}, activity.RegisterOptions{Name: activities.NextPackName})
}

// movePacks are the built-in packs and a council's own new version of
// Cumberland's (testdata/packmove), in force from 1 March 2027.
var movePacks = func() *policy.Registry {
	r, err := policy.LoadWith("testdata/packmove")
	if err != nil {
		panic(err)
	}
	return r
}()

func TestMovePacksLoad(t *testing.T) {
	p, err := movePacks.Pack("cumberland", date(t, "2027-03-01"))
	if err != nil || p.Version != "2026.2" {
		t.Fatal(p, err)
	}
}

// moved is the one pack_moved event of action and the due date changes it names.
func moved(t *testing.T, h *harness, action string) (activities.Event, []DueChange) {
	t.Helper()
	evs := h.actions(action)
	if len(evs) != 1 {
		t.Fatalf("%d %s events, want 1", len(evs), action)
	}
	b, err := json.Marshal(evs[0].Detail["changed"])
	if err != nil {
		t.Fatal(err)
	}
	var changes []DueChange
	if err := json.Unmarshal(b, &changes); err != nil {
		t.Fatal(err)
	}
	return evs[0], changes
}

// continued is the input a run continued as new with.
func continued[T any](t *testing.T, h *harness, workflowType string) T {
	t.Helper()
	var can *workflow.ContinueAsNewError
	if err := h.env.GetWorkflowError(); !errors.As(err, &can) || can.WorkflowType.Name != workflowType {
		t.Fatalf("want continue-as-new as %s, got %v", workflowType, err)
	}
	var next T
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatal(err)
	}
	return next
}

// checkMove checks a pack_moved event: Cumberland 2025.1 to the council's
// 2026.2 on 1 March 2027, naming exactly the changes want, its projection
// rows carrying the new dates.
func checkMove(t *testing.T, ev activities.Event, changes, want []DueChange) {
	t.Helper()
	if ev.PackVersion != "2026.2" || ev.Detail["from_version"] != "2025.1" || ev.Detail["to_version"] != "2026.2" ||
		ev.Detail["effective_from"] != "2027-03-01" || !ev.At.Equal(dayStart(date(t, "2027-03-01"))) {
		t.Errorf("move recorded as %+v at %s", ev.Detail, ev.At)
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes %+v, want %+v", changes, want)
	}
	for _, c := range want {
		i := slices.IndexFunc(ev.Due, func(d activities.DueItemRecord) bool { return d.Key == c.Duty })
		if i < 0 || ev.Due[i].DueOn != c.New.String() || ev.Due[i].RuleID != c.Rule {
			t.Errorf("projection of %s: %+v", c.Duty, ev.Due)
		}
	}
}

// Issue 13, part 3: a council adds a version of its pack (a --packs file,
// in force from 1 March 2027: sessions fortnightly, not every 4 weeks).
// Personal supervision started under 2025.1 moves to it on that day: the
// next session, due 4 weeks after the last one held, is due 2 weeks after
// it; the event names both versions and the date that moved; the next run
// runs under the new version's cadence. On the old code no move happens:
// "0 supervision.pack_moved events, want 1".
func TestSupervisionMovesToTheNextPackVersion(t *testing.T) {
	start := date(t, "2027-01-04")
	h, _ := newSupervisionHarness(t, start)
	h.packs = movePacks
	h.at(date(t, "2027-02-01"), func() { h.update(UpdateRecordSupervision, supSession("s1", date(t, "2027-02-01")), h.ok("session 1")) })
	h.at(date(t, "2027-02-22"), func() { h.update(UpdateRecordSupervision, supSession("s2", date(t, "2027-02-22")), h.ok("session 2")) })
	h.env.ExecuteWorkflow(SupervisionWorkflow, supervisionInput(t, "cumberland", "social_worker", start))
	next := continued[SupervisionInput](t, h, SupervisionWorkflow)
	ev, changes := moved(t, h, "supervision.pack_moved")
	checkMove(t, ev, changes, []DueChange{{Duty: "session:3", Kind: ItemSession, Old: date(t, "2027-03-22"), New: date(t, "2027-03-08"), Rule: "C-PS-1"}})
	if next.Pack.Version != "2026.2" || next.Cadence.Every.String() != "2w" || next.State.Session.Due.String() != "2027-03-08" || next.State.Sessions != 2 {
		t.Fatalf("continued on %s every %s, session %+v", next.Pack.Version, next.Cadence.Every, next.State.Session)
	}

	// The next run, on 2026.2: a session held on its new due day makes the
	// next one due a fortnight later.
	h2, _ := newSupervisionHarness(t, date(t, "2027-03-01"))
	h2.packs = movePacks
	var got SupervisionSessionResult
	h2.at(date(t, "2027-03-08"), func() {
		h2.update(UpdateRecordSupervision, supSession("s3", date(t, "2027-03-08")), h2.ok("session 3"))
	})
	h2.at(date(t, "2027-03-09"), func() { got.NextDue = h2.schedule().Items[0].Due })
	h2.supLeave(date(t, "2027-03-10"))
	h2.runSupervision(next)
	if got.NextDue.String() != "2027-03-22" {
		t.Errorf("under 2026.2 the session after 8 March is due %s, want 2027-03-22", got.NextDue)
	}
	if n := len(h2.actions("supervision.pack_moved")); n != 0 {
		t.Errorf("the next run moved again (%d): the following version is not in force until 2027-09-01", n)
	}
}

// The agreement moves too: agreed on 11 January 2027 under 2025.1, renewed
// a year later; from 1 March 2027 the council renews every six months.
func TestAgreementMovesToTheNextPackVersion(t *testing.T) {
	start := date(t, "2027-01-04")
	agreed := date(t, "2027-01-11")
	h := newAgreementHarness(t, start)
	h.packs = movePacks
	h.at(start, func() { h.update(UpdateProposeAgreementTerms, terms("t1", "tm-1"), h.ok("terms")) })
	h.at(agreed, func() {
		h.update(UpdateSignAgreement, signed("s1", "tm-1", agreed), h.ok("supervisor"))
		h.update(UpdateSignAgreement, signed("s2", "sw-1", agreed), h.ok("supervisee"))
	})
	h.env.ExecuteWorkflow(AgreementWorkflow, agreementInput(t, "cumberland", start))
	next := continued[AgreementInput](t, h, AgreementWorkflow)
	ev, changes := moved(t, h, "agreement.pack_moved")
	checkMove(t, ev, changes, []DueChange{{Duty: "renewal:2", Kind: KindAgreementRenewal, Old: date(t, "2028-01-11"), New: date(t, "2027-07-11"), Rule: "C-AG-1"}})
	if next.Pack.Version != "2026.2" || next.Rules.RenewEvery.Period.String() != "6mo" || next.State.Renewal.Due.String() != "2027-07-11" || next.State.Status != AgreementAgreed {
		t.Fatalf("continued on %s, state %+v", next.Pack.Version, next.State)
	}
}

// A child protection case allocated under 2025.1 (every 4 weeks) moves to
// the council's 2026.2 (every 2 weeks): the next case supervision is due 2
// weeks after the last one held.
func TestCaseMovesToTheNextPackVersion(t *testing.T) {
	on := date(t, "2027-01-04")
	h, _ := caseHarness(t, on)
	h.packs = movePacks
	h.at(on, func() { h.update(UpdateCaseSupervision, supervise("a", "allocation", on), h.ok("allocation")) })
	held := date(t, "2027-02-22")
	h.at(held, func() { h.update(UpdateCaseSupervision, supervise("s1", "case", held), h.ok("supervision")) })
	h.env.ExecuteWorkflow(CaseWorkflow, caseInput(t, "cumberland", "child_protection", on))
	next := continued[CaseInput](t, h, CaseWorkflow)
	ev, changes := moved(t, h, "case.pack_moved")
	key := next.State.Supervision.Key
	checkMove(t, ev, changes, []DueChange{{Duty: key, Kind: "case_supervision", Old: date(t, "2027-03-22"), New: date(t, "2027-03-08"), Rule: "C-CS-5"}})
	if next.Pack.Version != "2026.2" || next.State.Cadence.Every.String() != "2w" || next.State.Supervision.Due.String() != "2027-03-08" {
		t.Fatalf("continued on %s, cadence %+v, next %+v", next.Pack.Version, next.State.Cadence, next.State.Supervision)
	}
}

// An ASYE begun before the early career programme's first day is finished
// under the ASYE: with the 2027.1 version loaded, a Surrey ASYE begun on 7
// June 2027 still ends a year on, under 2025.1, and never moves.
func TestASYEBegunBeforeTheECDPStaysASYE(t *testing.T) {
	start := date(t, "2027-06-07")
	h := newHarness(t, start)
	h.packs = registry
	var got Schedule
	h.at(date(t, "2027-09-02"), func() { got = h.schedule() })
	h.at(date(t, "2027-09-03"), func() { h.env.CancelWorkflow() })
	h.env.ExecuteWorkflow(ASYEWorkflow, asyeInput(t, "surrey", start))
	if got.Pack.Version != "2025.1" || got.End.String() != "2028-06-07" {
		t.Errorf("after 1 September 2027: pack %s, ends %s; want 2025.1, 2028-06-07", got.Pack.Version, got.End)
	}
	for _, e := range h.events {
		if strings.HasSuffix(e.Action, ".pack_moved") || e.PackVersion != "2025.1" {
			t.Errorf("the ASYE moved: %s under %s", e.Action, e.PackVersion)
		}
	}
}

// An agreement still open on the day moves too: due signed within a week of
// its opening under 2026.2, not two.
func TestOpenAgreementMovesToTheNextPackVersion(t *testing.T) {
	start := date(t, "2027-02-22")
	h := newAgreementHarness(t, start)
	h.packs = movePacks
	h.env.ExecuteWorkflow(AgreementWorkflow, agreementInput(t, "cumberland", start))
	next := continued[AgreementInput](t, h, AgreementWorkflow)
	ev, changes := moved(t, h, "agreement.pack_moved")
	checkMove(t, ev, changes, []DueChange{{Duty: "signature:1", Kind: KindAgreementSignature, Old: date(t, "2027-03-08"), New: date(t, "2027-03-01"), Rule: "C-AG-2"}})
	if s := next.State.Signing; next.Pack.Version != "2026.2" || s.Due.String() != "2027-03-01" || s.Overdue || next.State.Status != AgreementOpen {
		t.Fatalf("continued on %s, signing %+v", next.Pack.Version, s)
	}
}

// A council adds its version while a run is under way (after it first
// asked, on 4 January, when only 2027.1 was loaded): the lifecycle asks
// again when it next wakes a month on (the session held on 22 February)
// and moves on 1 March, not in September.
func TestSupervisionFindsAVersionAddedWhileRunning(t *testing.T) {
	start := date(t, "2027-01-04")
	h, _ := newSupervisionHarness(t, start)
	h.packs = registry
	h.at(date(t, "2027-02-01"), func() { h.update(UpdateRecordSupervision, supSession("s1", date(t, "2027-02-01")), h.ok("session 1")) })
	h.at(date(t, "2027-02-10"), func() { h.packs = movePacks })
	h.at(date(t, "2027-02-22"), func() { h.update(UpdateRecordSupervision, supSession("s2", date(t, "2027-02-22")), h.ok("session 2")) })
	h.env.ExecuteWorkflow(SupervisionWorkflow, supervisionInput(t, "cumberland", "social_worker", start))
	next := continued[SupervisionInput](t, h, SupervisionWorkflow)
	ev, changes := moved(t, h, "supervision.pack_moved")
	checkMove(t, ev, changes, []DueChange{{Duty: "session:3", Kind: ItemSession, Old: date(t, "2027-03-22"), New: date(t, "2027-03-08"), Rule: "C-PS-1"}})
	if next.Pack.Version != "2026.2" {
		t.Fatalf("continued on %s", next.Pack.Version)
	}
}
