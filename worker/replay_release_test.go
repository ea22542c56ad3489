package worker_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
	"github.com/securebase/securebase/workflows"
)

// The lifecycles this release added, on the embedded server with real
// activities: a Cumberland team's group supervision held and its record
// made, and a concern raised. The team duty never ends, so its history is
// kept open. With -record-histories they are committed
// (testdata/teamduty-*.json, concern-*.json).
func TestRecordTeamDutyAndConcernHistories(t *testing.T) {
	r := newRecorder(t)
	d := func(s string) policy.Date { return mustDate(t, s) }
	start := d("2026-09-01")
	pack := mustPack(t, "cumberland", start)
	var group *policy.TeamDuty
	for _, td := range pack.TeamDutiesFor("north") {
		if td.Duty == "group_supervision" {
			group = &td
		}
	}
	if group == nil || group.RecordWithin == nil {
		t.Fatalf("cumberland %s gives team north no group supervision with a record limit", pack.Version)
	}
	duty := workflows.TeamDutyID("cumberland", "north", group.Duty)
	// Months in the past: the first meeting is late (overdue and escalation
	// fire), its record later still.
	r.start(duty, workflows.TeamDutyWorkflow, workflows.NewTeamDutyInput(pack, "north", *group, "tm-1", start, "tm-1"))
	r.update(duty, workflows.UpdateTeamDutyHeld, workflows.TeamDutyHeld{RequestID: "g1", HeldOn: d("2026-10-20"), Attendees: []string{"sw-h", "sw-i"}, Notes: "minutes on the team drive", Actor: "tm-1"})
	r.update(duty, workflows.UpdateTeamDutyRecorded, workflows.TeamDutyRecorded{RequestID: "g1r", HeldOn: d("2026-10-20"), RecordedOn: d("2026-11-20"), Actor: "tm-1"})
	r.update(duty, workflows.UpdateTeamDutyHeld, workflows.TeamDutyHeld{RequestID: "g2", HeldOn: d("2026-11-24"), RecordedOn: d("2026-11-25"), Actor: "tm-1"})

	if pack.Concerns == nil || len(pack.Concerns.Route) < 2 {
		t.Fatalf("cumberland %s routes no concern past the supervisor", pack.Version)
	}
	concern := workflows.ConcernID("sw-h", "c1")
	var res workflows.ConcernResult
	r.run(concern, workflows.ConcernWorkflow, workflows.ConcernInput{
		StaffID: "sw-h", Name: "Sam Hart", Authority: "cumberland", Team: "north", SupervisorID: "tm-1", ManagerID: "hos-1",
		RequestID: "c1", RaisedOn: d("2026-11-30"), About: "quantity", Concern: "Two sessions cancelled in a row.",
		To: pack.Concerns.Route[1], Route: pack.Concerns.Route, Rule: pack.Concerns.Rule, Pack: pack.Ref(), Digest: "c1c1c1c1", Actor: "sw-h",
	}, &res)
	if res.Recipient != "hos-1" || res.RecipientRole != "supervisors_manager" {
		t.Fatalf("concern went to %+v, want the supervisor's manager hos-1", res)
	}
	for name, id := range map[string]string{
		"teamduty-cumberland-group-supervision.json": duty,
		"concern-cumberland-manager.json":            concern,
	} {
		r.keep(name, id)
	}
}

// A Bolton social worker leaves and is rehired before their records'
// purge: the second period's onboarding cancels the first period's
// retention (rehire-onboard-v1, rehire-retention-cancel-v1) and starts the
// period's lifecycles under ".p2" ids; the second leave starts that
// period's retention (rehire-leave-v1), which waits for its purge day.
func TestRecordRehireHistories(t *testing.T) {
	r := newRecorder(t)
	d := func(s string) policy.Date { return mustDate(t, s) }
	today := policy.DateOf(time.Now())
	onboard := func(period int, start policy.Date) (workflows.OnboardInput, *policy.Pack) {
		pack := mustPack(t, "bolton", start)
		person := workflows.Person{StaffID: "sw-q", Name: "Quinn Reid", Authority: "bolton", Team: "east", Role: "social_worker", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
		agreement, supervision := workflows.NewAgreementInput(person, pack, "hr-1"), workflows.NewSupervisionInput(person, pack, "hr-1")
		return workflows.OnboardInput{
			Actor: "hr-1",
			Staff: activities.StaffRecord{ID: "sw-q", Name: "Quinn Reid", Authority: "bolton", Team: "east", Role: "social_worker", SupervisorID: "tm-1",
				StartDate: start.String(), Status: "active", PackVersion: pack.Version, Period: period},
			Agreement: &agreement, Supervision: &supervision,
		}, pack
	}
	leave := func(in workflows.OnboardInput, pack *policy.Pack, on policy.Date) workflows.LeaveInput {
		key := workflows.PeriodKey("sw-q", in.Staff.Period)
		staff := in.Staff
		staff.Status, staff.LeftOn = "left", on.String()
		l := workflows.LeaveInput{
			Staff:      staff,
			Signal:     workflows.LeaveSignal{RequestID: "l" + key, On: on, Reason: "resigned", Actor: "hr-1"},
			Lifecycles: []string{workflows.ID(workflows.KindAgreement, key), workflows.ID(workflows.KindSupervision, key)},
			Retention:  pack.Retention,
		}
		// A real server cannot wait out a grace period (see
		// TestRecordRetentionHistories); the purge is years off anyway.
		if l.Retention != nil {
			rt := *l.Retention
			rt.Grace = nil
			l.Retention = &rt
		}
		return l
	}

	first, pack1 := onboard(1, d("2025-01-06"))
	r.run(workflows.ID(workflows.KindOnboard, "sw-q"), workflows.OnboardWorkflow, first, nil)
	var left workflows.LeaveResult
	r.run(workflows.ID(workflows.KindLeave, "sw-q"), workflows.LeaveWorkflow, leave(first, pack1, d("2026-06-30")), &left)
	if left.Retention != "Retention:sw-q" {
		t.Fatalf("first leave started retention %q", left.Retention)
	}

	second, pack2 := onboard(2, d("2026-11-02"))
	var on workflows.OnboardResult
	r.run(workflows.ID(workflows.KindOnboard, "sw-q.p2"), workflows.OnboardWorkflow, second, &on)
	if strings.Join(on.Workflows, " ") != "Agreement:sw-q.p2 Supervision:sw-q.p2" {
		t.Fatalf("rehire started %v", on.Workflows)
	}
	var st workflows.RetentionState
	if err := r.result("Retention:sw-q", &st); err != nil || st.Status != workflows.RetentionRehired {
		t.Fatalf("first period's retention ended %+v, %v; want %s", st, err, workflows.RetentionRehired)
	}
	r.update("Supervision:sw-q.p2", workflows.UpdateRecordSupervision, workflows.SupervisionSessionInput{RequestID: "p2s1", HeldOn: d("2026-11-16"), DurationMinutes: 90, SupervisorID: "tm-1", Actor: "tm-1"})
	r.run(workflows.ID(workflows.KindLeave, "sw-q.p2"), workflows.LeaveWorkflow, leave(second, pack2, today), &left)
	if left.Retention != "Retention:sw-q.p2" {
		t.Fatalf("second leave started retention %q", left.Retention)
	}
	r.wait("Supervision:sw-q.p2")
	r.wait("Agreement:sw-q.p2")

	for id, change := range map[string]string{
		"Onboard:sw-q.p2": "rehire-onboard-v1",
		"Retention:sw-q":  "rehire-retention-cancel-v1",
		"Leave:sw-q.p2":   "rehire-leave-v1",
	} {
		if !r.hasChange(id, "", change) {
			t.Errorf("%s took no %s branch", id, change)
		}
	}
	for name, id := range map[string]string{
		"rehire-onboard-p1.json":          "Onboard:sw-q",
		"rehire-leave-p1.json":            "Leave:sw-q",
		"rehire-retention-cancelled.json": "Retention:sw-q",
		"rehire-onboard-p2.json":          "Onboard:sw-q.p2",
		"rehire-supervision-p2-left.json": "Supervision:sw-q.p2",
		"rehire-agreement-p2-left.json":   "Agreement:sw-q.p2",
		"rehire-leave-p2.json":            "Leave:sw-q.p2",
		"rehire-retention-p2-open.json":   "Retention:sw-q.p2", // waits for its purge day
	} {
		r.keep(name, id)
	}
}

// Personal supervision moves to the next version of its pack: the worker's
// packs hold a Cumberland version (workflows/testdata/packmove, brought
// into force on 1 December 2026 so a real server reaches it) after the one
// the lifecycle started under. The first run asks NextPack, moves on that
// day and continues as new; the next run, on the new version, records a
// session and stays open. Both runs' histories are kept.
func TestRecordPackMoveHistories(t *testing.T) {
	src, err := os.ReadFile("../workflows/testdata/packmove/cumberland-2026-2.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const from, to = "effective_from: 2027-03-01", "effective_from: 2026-12-01"
	if !strings.Contains(string(src), from) {
		t.Fatalf("the packmove test pack is no longer %q", from)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cumberland-2026-2.yaml"), []byte(strings.Replace(string(src), from, to, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	packs, err := policy.LoadWith(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := newRecorderWith(t, t.TempDir(), packs)
	start := mustDate(t, "2026-01-05")
	pack, err := packs.Pack("cumberland", start)
	if err != nil {
		t.Fatal(err)
	}
	if pack.Version != "2025.1" {
		t.Fatalf("cumberland on %s is %s, want 2025.1", start, pack.Version)
	}
	person := workflows.Person{StaffID: "sw-m", Name: "Mo Patel", Authority: "cumberland", Team: "north", Role: "social_worker", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	id := workflows.ID(workflows.KindSupervision, "sw-m")
	firstRun := r.start(id, workflows.SupervisionWorkflow, workflows.NewSupervisionInput(person, pack, "hr-1")).GetRunID()

	// The move is due at once: wait for the run it continued as.
	var next string
	for deadline := time.Now().Add(time.Minute); next == "" || next == firstRun; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not move to 2026.2 within a minute", id)
		}
		desc, err := r.c.DescribeWorkflowExecution(r.ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		next = desc.WorkflowExecutionInfo.Execution.RunId
	}
	var sched workflows.Schedule
	q, err := r.c.QueryWorkflow(r.ctx, id, "", workflows.QuerySchedule)
	if err == nil {
		err = q.Get(&sched)
	}
	if err != nil || sched.Pack.Version != "2026.2" {
		t.Fatalf("the continued run is on %+v, %v; want 2026.2", sched.Pack, err)
	}
	r.update(id, workflows.UpdateRecordSupervision, workflows.SupervisionSessionInput{RequestID: "m1", HeldOn: mustDate(t, "2026-12-02"), DurationMinutes: 90, SupervisorID: "tm-1", Actor: "tm-1"})

	if !r.hasChange(id, firstRun, "packmove-lookup-v1") {
		t.Errorf("the first run of %s took no packmove-lookup-v1 branch", id)
	}
	r.keepRun("supervision-cumberland-packmoved.json", id, firstRun)
	r.keepRun("supervision-cumberland-after-packmove.json", id, next)
}

// hasChange says whether a run's history took a GetVersion change id.
func (r *recorder) hasChange(id, runID, change string) bool {
	r.t.Helper()
	for _, ev := range historyOf(r.ctx, r.t, r.c, id, runID).Events {
		if ev.EventType != enumspb.EVENT_TYPE_MARKER_RECORDED {
			continue
		}
		if p := ev.GetMarkerRecordedEventAttributes().GetDetails()["change-id"]; p != nil && len(p.Payloads) > 0 && text(r.t, p.Payloads[0]) == change {
			return true
		}
	}
	return false
}

// A rehired NQSW's second-period ASYE passes and hands over to the same
// period's personal supervision (rehire-handover-v1): Supervision:nq-r.p2.
func TestRecordRehireHandoverHistory(t *testing.T) {
	r := newRecorder(t)
	start := mustDate(t, "2026-01-05")
	today := policy.DateOf(time.Now())
	pack := mustPack(t, "cumberland", start)
	person := workflows.Person{StaffID: "nq-r", Name: "Rae Nolan", Authority: "cumberland", Team: "north", Role: "nqsw", SupervisorID: "tm-1", ManagerID: "hos-1", Start: start}
	supervision := workflows.NewSupervisionInput(person, pack, "hr-1")
	in := workflows.OnboardInput{
		Actor: "hr-1",
		Staff: activities.StaffRecord{ID: "nq-r", Name: "Rae Nolan", Authority: "cumberland", Team: "north", Role: "nqsw", SupervisorID: "tm-1",
			StartDate: start.String(), Status: "active", PackVersion: pack.Version, Period: 2},
		ASYE: &workflows.ASYEInput{
			StaffID: "nq-r", Name: "Rae Nolan", Authority: "cumberland", Team: "north", SupervisorID: "tm-1", ManagerID: "hos-1",
			Start: start, Pack: pack.Ref(), Rules: pack.ASYE, ClosureDays: pack.ClosureDays, Actor: "hr-1",
			StandingEscalation: pack.Escalation, Handover: &supervision,
		},
	}
	r.run("Onboard:nq-r.p2", workflows.OnboardWorkflow, in, nil)
	asye := workflows.ID(workflows.KindASYE, "nq-r.p2")
	for _, rv := range pack.ASYE.Reviews {
		r.update(asye, workflows.UpdateRecordReview, workflows.ReviewInput{RequestID: "rev-" + rv.Name, Name: rv.Name, HeldOn: today, Actor: "tm-1"})
	}
	r.update(asye, workflows.UpdateRecordOutcome, workflows.OutcomeInput{RequestID: "o1", Outcome: workflows.StatusPassed, DecidedOn: today, Reason: "panel agreed", Actor: "tm-1"})
	var res workflows.ASYEResult
	if err := r.result(asye, &res); err != nil || res.Outcome != workflows.StatusPassed {
		t.Fatalf("ASYE ended %+v, %v", res, err)
	}
	if !r.hasChange(asye, "", "rehire-handover-v1") {
		t.Errorf("%s took no rehire-handover-v1 branch", asye)
	}
	sup := workflows.ID(workflows.KindSupervision, "nq-r.p2")
	r.update(sup, workflows.UpdateRecordSupervision, workflows.SupervisionSessionInput{RequestID: "p1", HeldOn: today, DurationMinutes: 90, SupervisorID: "tm-1", Actor: "tm-1"})
	for name, id := range map[string]string{
		"rehire-asye-p2-passed.json":          asye,
		"rehire-supervision-p2-handover.json": sup, // open: personal supervision carries on
	} {
		r.keep(name, id)
	}
}
