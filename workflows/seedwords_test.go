package workflows

import (
	"strings"
	"testing"

	"github.com/securebase/securebase/models"
	"github.com/securebase/securebase/policy"
)

// Issue 12: the engine does what the seeds' words say (the engine side).

// Item 1: Bolton's "generally 1.5-2 hours" (B-PS-3) is guidance: a
// 75-minute session is recorded, flagged on the session record and on the
// schedule, and meets the session due; it is never refused.
func TestShortSessionFlaggedNotRefusedB_PS_3(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bolton", "social_worker", start)
	h, so := newSupervisionHarness(t, start)
	day := date(t, "2026-01-20")
	h.at(day, func() {
		s := supSession("short", day)
		s.DurationMinutes = 75
		h.update(UpdateRecordSupervision, s, h.ok("75-minute session"))
	})
	h.atHour(day, 13, func() {
		flags := supItems(h.schedule(), ItemShortSession)
		if len(flags) != 1 || flags[0].HeldOn != day || flags[0].Rule != "B-PS-3" || flags[0].Status != "flagged" || flags[0].Note == "" {
			t.Errorf("schedule flags %+v, want the 75-minute session flagged under B-PS-3", flags)
		}
		if it, _ := supItem(h.schedule(), "session:2"); it.Status != "due" {
			t.Errorf("the next session %+v: the short session met the one due", it)
		}
	})
	h.supLeave(day.AddDays(1))
	h.runSupervision(in)
	evs := h.actions("supervision.session_recorded")
	if len(evs) != 1 || evs[0].Session.DurationMinutes != 75 || evs[0].Session.UsualMinutes != 90 || evs[0].Detail["short_session"] == nil {
		t.Fatalf("session events %+v, want one flagged 75 of the usual 90", evs)
	}
	if len(so.get()) != 1 {
		t.Errorf("the short session's record sign-off did not start")
	}
}

// Item 1: a pack whose seed says "at least" (a limit) still refuses.
func TestShortSessionRefusedUnderALimit(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "bolton", "social_worker", start)
	limit := *in.SessionMinutes
	limit.Bound = policy.BoundLimit
	in.SessionMinutes = &limit
	h, _ := newSupervisionHarness(t, start)
	day := date(t, "2026-01-20")
	h.at(day, func() {
		s := supSession("short", day)
		s.DurationMinutes = 75
		h.update(UpdateRecordSupervision, s, supRefused(t, "short session under a limit", "duration_minutes", "B-PS-3"))
	})
	h.supLeave(day.AddDays(1))
	h.runSupervision(in)
	if n := len(h.actions("supervision.session_recorded")); n != 0 {
		t.Errorf("%d sessions recorded, want none", n)
	}
}

// Item 1, ASYE: Bracknell Forest's "generally between one and two hours"
// (BF-PS-4) flags a 45-minute ASYE session, never refuses it.
func TestASYEShortSessionFlaggedBF_PS_4(t *testing.T) {
	start := date(t, "2026-01-05")
	in := asyeInput(t, "bracknell-forest", start)
	h := newHarness(t, start)
	day := date(t, "2026-01-12")
	h.at(day, func() {
		h.update(UpdateRecordSession, SessionInput{
			RequestID: "s1", HeldOn: day, DurationMinutes: 45, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1",
		}, h.ok("45-minute ASYE session"))
	})
	h.atHour(day, 13, func() {
		flags := supItems(h.schedule(), ItemShortSession)
		if len(flags) != 1 || flags[0].Rule != "BF-PS-4" {
			t.Errorf("schedule flags %+v", flags)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
	evs := h.actions("asye.session_recorded")
	if len(evs) != 1 || evs[0].Session.UsualMinutes != 60 {
		t.Fatalf("session events %+v, want one flagged short of 60", evs)
	}
}

// Item 4: Bracknell Forest's "every calendar month" (BF-PS-1): seen on 4
// January 2027, the worker is not overdue on 5 February; the next session is
// due by the last working day of February, and 25 February meets it.
func TestCalendarMonthNotRollingBF_PS_1(t *testing.T) {
	start := date(t, "2026-12-01")
	in := supervisionInput(t, "bracknell-forest", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	jan, feb := date(t, "2027-01-04"), date(t, "2027-02-25")
	h.at(jan, func() { h.update(UpdateRecordSupervision, supSession("jan", jan), h.ok("January")) })
	h.atHour(jan, 13, func() {
		if it, _ := supItem(h.schedule(), "session:2"); it.Due != date(t, "2027-02-26") || it.Rule != "BF-PS-1" {
			t.Errorf("after 4 January: %+v, want due 2027-02-26 under BF-PS-1", it)
		}
	})
	h.at(date(t, "2027-02-05"), func() {
		if od := h.keyed("supervision.overdue", "session:"); len(od) != 0 {
			t.Errorf("overdue on 5 February: %+v", od)
		}
	})
	h.at(feb, func() { h.update(UpdateRecordSupervision, supSession("feb", feb), h.ok("February")) })
	h.atHour(feb, 13, func() {
		if it, _ := supItem(h.schedule(), "session:3"); it.Due != date(t, "2027-03-31") {
			t.Errorf("after 25 February: %+v, want due 2027-03-31", it)
		}
	})
	h.supLeave(date(t, "2027-03-01"))
	h.runSupervision(in)
	if od := h.keyed("supervision.overdue", "session:"); len(od) != 0 {
		t.Errorf("overdue: %+v", od)
	}
}

// Item 3: Cumberland's fortnightly ASYE session that fell on Easter Monday
// 2027 is due the working day before Good Friday (C-WD-1), and the 3-month
// review due on Sunday 4 April 2027 is due on Friday 2 April.
func TestASYEDueOnWorkingDaysC_WD_1(t *testing.T) {
	start := date(t, "2027-01-04")
	in := asyeInput(t, "cumberland", start)
	h := newHarness(t, start)
	cal := policy.NewCalendar(in.ClosureDays)
	held := date(t, "2027-03-15") // a fortnight before Easter Monday
	h.at(held, func() {
		h.update(UpdateRecordSession, SessionInput{
			RequestID: "s", HeldOn: held, DurationMinutes: 90, SupervisorID: "tm-1", Kind: "individual", Actor: "tm-1",
		}, h.ok("session"))
	})
	h.atHour(held, 13, func() {
		s := h.schedule()
		for _, it := range s.Items {
			if (it.Status == "due" || it.Status == "overdue") && !cal.IsWorkingDay(it.Due) {
				t.Errorf("%s due on a non-working day %s", it.Key, it.Due)
			}
		}
		sess, _ := supItem(s, "session:2")
		rev, _ := supItem(s, "review:3-month")
		if sess.Due != date(t, "2027-03-25") || rev.Due != date(t, "2027-04-02") {
			t.Errorf("session %+v, review %+v: want 2027-03-25 and 2027-04-02", sess, rev)
		}
		h.env.CancelWorkflow()
	})
	h.env.ExecuteWorkflow(ASYEWorkflow, in)
}

// Item 3: personal supervision due on a weekend moves to the Friday before:
// Surrey, seen Friday 30 January 2026, is due by Friday 27 February, not
// Saturday the 28th (S-WD-1).
func TestSupervisionDueOnWorkingDayS_WD_1(t *testing.T) {
	start := date(t, "2026-01-05")
	in := supervisionInput(t, "surrey", "social_worker", start)
	h, _ := newSupervisionHarness(t, start)
	held := date(t, "2026-01-30")
	h.at(held, func() { h.update(UpdateRecordSupervision, supSession("s1", held), h.ok("session")) })
	h.atHour(held, 13, func() {
		if it, _ := supItem(h.schedule(), "session:2"); it.Due != date(t, "2026-02-27") || it.Rule != "S-PS-1" {
			t.Errorf("next session %+v, want due 2026-02-27 under S-PS-1", it)
		}
	})
	h.supLeave(held.AddDays(1))
	h.runSupervision(in)
}

// Item 2: the sign-off deadline is owed by whom the seed says. Cumberland
// (C-REC-1: "signed by the supervisor and be made available to the
// supervisee within 5 working days for checking and signing") and Surrey
// (S-REC-1: the forms "added within 2 working days"): the supervisor owes
// it and meets it by signing; a supervisee who has not yet signed is never
// overdue nor escalated. Bolton (B-REC-1: "signed by both ... at the next
// supervision session"): both owe it, so an unsigned supervisee escalates.
func TestSignOffOwedByWhomTheSeedSays(t *testing.T) {
	held := date(t, "2026-03-04") // a Wednesday
	next := date(t, "2026-04-01")
	for _, tc := range []struct {
		authority, owedBy string
		overdue           bool
	}{
		{"cumberland", policy.OwedBySupervisor, false},
		{"surrey", policy.OwedBySupervisor, false},
		{"bolton", policy.OwedByBoth, true},
	} {
		t.Run(tc.authority, func(t *testing.T) {
			in := signOffInput(t, tc.authority, held, next)
			in.Escalation = councilSet(in.Escalation)
			if in.Rules.OwedBy != tc.owedBy {
				t.Fatalf("%s sign_off owed_by %q, want %q", tc.authority, in.Rules.OwedBy, tc.owedBy)
			}
			h := signOffHarness(t, held)
			signed := held.AddDays(1)
			h.at(signed, func() {
				h.update(UpdateWriteRecord, RecordTextInput{RequestID: "t1", Text: "Discussed caseload.", Actor: "tm-1"}, h.ok("text"))
				h.update(UpdateSignRecord, RecordSignInput{RequestID: "s1", Version: 1, Actor: "tm-1"}, h.ok("supervisor signs"))
			})
			h.atHour(signed, 13, func() {
				it := h.schedule().Items[0]
				if tc.overdue == (it.Status == "met") {
					t.Errorf("after the supervisor signed: %+v", it)
				}
				if !tc.overdue && !it.HeldOn.Equal(signed) {
					t.Errorf("met on %s, want %s (the supervisor's signature)", it.HeldOn, signed)
				}
			})
			end := date(t, "2026-05-01") // past every deadline and escalation
			h.at(end, func() {
				if r := h.record(); r.Status != models.RecordAwaitingSupervisee {
					t.Errorf("record %s, want awaiting the supervisee", r.Status)
				}
				h.leave(end)
			})
			h.env.ExecuteWorkflow(SignOffWorkflow, in)
			h.signOffResult()
			od, esc := h.actions("signoff.overdue"), h.actions("signoff.escalated")
			if tc.overdue != (len(od) == 1 && len(esc) == 1) || !tc.overdue && len(od)+len(esc) != 0 {
				t.Errorf("overdue %d, escalated %d; want overdue and escalation: %v", len(od), len(esc), tc.overdue)
			}
			if tc.overdue && !strings.Contains(od[0].Notifications[0].Subject, "supervisee's check") {
				t.Errorf("overdue notice %+v", od[0].Notifications)
			}
		})
	}
}
