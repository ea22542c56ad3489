package workflows

import (
	"reflect"
	"testing"
)

// C-ASYE-10: Cumberland's NQSWs attend the Academy's mandatory group
// supervisions, with no frequency given. An attendance is recorded on the
// ASYE with the pack's rule, once per request id; it meets and sets no due
// item, so nothing can fall overdue or escalate. No rule (a pack or role with
// no academy_group_supervision block) is refused naming the field.
func TestAcademyGroupSupervisionRecordedNeverDue(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "cumberland", start)
	pack, err := registry.Pack("cumberland", start)
	if err != nil {
		t.Fatal(err)
	}
	rule, ok := pack.AcademyRule("nqsw")
	if !ok || rule != "C-ASYE-10" {
		t.Fatalf("cumberland's academy rule for an NQSW is %q (%v), want C-ASYE-10", rule, ok)
	}
	if _, ok := pack.AcademyRule("social_worker"); ok {
		t.Error("a social worker is not asked to attend the Academy's group supervisions")
	}
	h := newHarness(t, start)
	day := start.AddDays(10)
	before := Schedule{}
	h.atHour(day, 11, func() { before = h.schedule() })
	attend := AcademyInput{RequestID: "academy-1", HeldOn: day, Rule: rule, Actor: "nq-1"}
	h.at(day, func() {
		h.update(UpdateRecordAcademyGroup, attend, h.ok("attendance"))
		h.update(UpdateRecordAcademyGroup, attend, h.refused("same request id", ErrConflict, "request_id"))
		none := attend
		none.RequestID, none.Rule = "academy-2", ""
		h.update(UpdateRecordAcademyGroup, none, h.refused("no academy block", ErrInvalid, "rule"))
		future := attend
		future.RequestID, future.HeldOn = "academy-3", day.AddDays(1)
		h.update(UpdateRecordAcademyGroup, future, h.refused("future", ErrInvalid, "held_on"))
	})
	h.atHour(day, 13, func() {
		if after := h.schedule(); !reflect.DeepEqual(after.Items, before.Items) {
			t.Errorf("an attendance changed the due items: %+v, then %+v", before.Items, after.Items)
		} else if after.AcademyAttended != 1 {
			t.Errorf("the schedule shows %d attendances, want 1", after.AcademyAttended)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	got := h.actions("asye.academy_group_supervision_attended")
	if len(got) != 1 {
		t.Fatalf("%d attendances written, want 1", len(got))
	}
	if ev := got[0]; ev.RuleID != "C-ASYE-10" || len(ev.Due) != 0 || len(ev.Notifications) != 0 || ev.Detail["held_on"] != day.String() {
		t.Errorf("attendance written as %+v: want rule C-ASYE-10, held_on %s, no due item, no notice", ev, day)
	}
}
