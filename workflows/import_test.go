package workflows

// Imported progress (issue 13 part 1): an ASYE or a case started with what
// the HR or case management system recorded before securebase stands where
// the same history recorded through the updates would stand.

import (
	"fmt"
	"testing"

	"github.com/securebase/securebase/policy"
)

// dues are a schedule's open items by kind (reviews by key), due dates only.
func dues(s Schedule) map[string]policy.Date {
	out := map[string]policy.Date{"end": s.End}
	for _, it := range s.Items {
		switch {
		case it.Status == "met":
		case it.Kind == "asye_session":
			out["session"] = it.Due
		default:
			out[it.Key] = it.Due
		}
	}
	return out
}

// The same programme twice: once lived through the updates (a 3-month
// review held, a fortnight's sickness, a session), once imported on the
// day after with that progress. The imported one has the same due dates:
// the review held is not due again, the pause moved the later reviews and
// the end, and the next session follows the last.
func TestASYEImportedProgressMatchesTheUpdates(t *testing.T) {
	start := date(t, "2026-01-05")
	review3, pauseFrom, pauseTo := date(t, "2026-04-02"), date(t, "2026-05-04"), date(t, "2026-05-18")
	last, importDay := date(t, "2026-06-29"), date(t, "2026-06-30")

	lived := newHarness(t, start)
	var want map[string]policy.Date
	lived.at(review3, func() {
		lived.update(UpdateRecordReview, ReviewInput{RequestID: "r3", Name: "3-month", HeldOn: review3, Actor: "tm-1"}, lived.ok("3-month review"))
	})
	lived.at(pauseFrom, func() {
		lived.update(UpdatePause, PauseInput{RequestID: "p1", From: pauseFrom, Reason: "sickness", Actor: "tm-1"}, lived.ok("pause"))
	})
	lived.at(pauseTo, func() {
		lived.update(UpdateResume, ResumeInput{RequestID: "p1r", On: pauseTo, Actor: "tm-1"}, lived.ok("resume"))
	})
	lived.at(last, func() {
		lived.update(UpdateRecordSession, SessionInput{RequestID: "s1", HeldOn: last, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}, lived.ok("session"))
	})
	lived.at(importDay, func() {
		want = dues(lived.schedule())
		lived.env.CancelWorkflow()
	})
	lived.env.ExecuteWorkflow(ASYEWorkflow, asyeInput(t, "cumberland", start))

	imported := newHarness(t, importDay)
	in := asyeInput(t, "cumberland", start)
	in.Progress = &ASYEProgress{
		LastSession: last,
		Reviews:     []HeldReview{{Name: "3-month", HeldOn: review3}},
		Pauses:      []PastPause{{Reason: "sickness", From: pauseFrom, To: pauseTo}},
	}
	cal := policy.NewCalendar(in.ClosureDays)
	var got map[string]policy.Date
	imported.atHour(importDay, 10, func() {
		s := imported.schedule()
		got = dues(s)
		if s.Status != StatusActive || s.LastSessionOn != last {
			t.Errorf("imported: status %s, last session %s; want active, %s", s.Status, s.LastSessionOn, last)
		}
		// A review already held is not due again.
		imported.update(UpdateRecordReview, ReviewInput{RequestID: "r3-again", Name: "3-month", HeldOn: importDay, Actor: "tm-1"}, imported.refused("3-month again", ErrConflict, "name"))
	})
	imported.atHour(importDay, 11, func() { imported.env.CancelWorkflow() })
	imported.env.ExecuteWorkflow(ASYEWorkflow, in)

	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("imported dues %v, lived %v", got, want)
	}
	for k, d := range want {
		if got[k] != d {
			t.Errorf("%s: imported %s, lived through the updates %s", k, got[k], d)
		}
	}
	// The pause moved the end by its 14 days, as the pack's end from a later start.
	if wantEnd := in.Rules.End(start.AddDays(14), cal); got["end"] != wantEnd {
		t.Errorf("end %s, want %s (14 days paused)", got["end"], wantEnd)
	}
	if _, due := got["review:3-month"]; due {
		t.Error("the 3-month review held before the import is due again")
	}
	if n := len(imported.actions("asye.overdue")); n != 0 {
		t.Errorf("%d overdue events on import", n)
	}
	started := imported.actions("asye.started")
	if len(started) != 1 || fmt.Sprint(started[0].Detail["paused_days"]) != "14" || started[0].Detail["imported"] == nil {
		t.Errorf("the start names the imported progress: %+v", started)
	}
}

// A programme imported while paused stays paused; resuming moves every open
// date by the whole pause, from the day it began before securebase.
func TestASYEImportedOpenPause(t *testing.T) {
	start := date(t, "2026-01-05")
	pauseFrom, importDay, resumeOn := date(t, "2026-03-02"), date(t, "2026-03-16"), date(t, "2026-03-30")
	h := newHarness(t, importDay)
	in := asyeInput(t, "cumberland", start)
	in.Progress = &ASYEProgress{Pauses: []PastPause{{Reason: "parental_leave", From: pauseFrom}}}
	cal := policy.NewCalendar(in.ClosureDays)
	before := in.Rules.ReviewDates(start, cal)[1].Due // the 6-month review
	h.atHour(importDay, 10, func() {
		if s := h.schedule(); s.Status != StatusPaused || s.PausedSince != pauseFrom {
			t.Errorf("imported: status %s since %s, want paused since %s", s.Status, s.PausedSince, pauseFrom)
		}
		h.update(UpdateRecordSession, SessionInput{RequestID: "s1", HeldOn: importDay, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1"}, h.refused("session while paused", ErrConflict, "status"))
	})
	h.at(resumeOn, func() {
		if n := len(h.actions("asye.overdue")); n != 0 {
			t.Errorf("%d overdue events while paused", n)
		}
		h.update(UpdateResume, ResumeInput{RequestID: "resume", On: resumeOn, Actor: "tm-1"}, h.ok("resume"))
	})
	h.atHour(resumeOn, 13, func() {
		d := dues(h.schedule())
		if want := before.AddDays(pauseFrom.DaysUntil(resumeOn)); d["review:6-month"] != want {
			t.Errorf("6-month review due %s after resuming, want %s (moved by the 28 days paused)", d["review:6-month"], want)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
}

// A case imported with its open actions: they are the case's actions, set
// at the last supervision; the next supervision reviews them, and one past
// its date without progress is flagged (Cumberland tracks actions).
func TestCaseImportedActions(t *testing.T) {
	on, last, importDay := date(t, "2025-06-02"), date(t, "2026-11-02"), date(t, "2026-11-16")
	h, _ := caseHarness(t, importDay)
	in := caseInput(t, "cumberland", "child_in_need", on)
	in.LastSupervised = last
	in.Actions = []SmartAction{
		{What: "home visit", Who: "sw-1", ByWhen: date(t, "2026-11-20")},
		{What: "school meeting", Who: "sw-1", ByWhen: date(t, "2026-11-23")},
	}
	next := date(t, "2026-11-25")
	h.atHour(importDay, 10, func() {
		s := h.caseSchedule()
		if len(s.Actions) != 2 || s.Actions[0].Status != "open" || s.Actions[0].SetOn != last || s.Actions[1].What != "school meeting" {
			t.Fatalf("imported actions: %+v", s.Actions)
		}
	})
	h.at(next, func() {
		sup := supervise("s1", "case", next)
		sup.Reviewed = []ActionReview{{Key: h.caseSchedule().Actions[1].Key, Progress: "done"}}
		h.update(UpdateCaseSupervision, sup, h.ok("supervision reviewing the imported actions"))
	})
	h.atHour(next, 13, func() {
		s := h.caseSchedule()
		if s.Actions[0].Status != "flagged" || s.Actions[1].Status != "done" {
			t.Errorf("after review: %+v", s.Actions)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(CaseWorkflow, in)
	al := h.actions("case.allocated")
	if len(al) != 1 || al[0].Case == nil || len(al[0].Case.Actions) != 2 || fmt.Sprint(al[0].Detail["imported_actions"]) != "2" {
		t.Errorf("the allocation writes the imported actions to the projection: %+v", al)
	}
}
