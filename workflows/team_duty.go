package workflows

// The team duty lifecycle: one per authority, team and duty the pack gives
// (policy/duties.go). Its API is api/duties.go, its tests team_duty_test.go.

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/securebase/securebase/decision"
	"github.com/securebase/securebase/policy"
)

// Team duty names.
const (
	TeamDutyWorkflow = "TeamDuty"
	KindTeamDuty     = "TeamDuty"

	// UpdateTeamDutyHeld records the duty held; UpdateTeamDutyRecorded
	// records a held meeting's record made.
	UpdateTeamDutyHeld     = "RecordTeamDutyHeld"
	UpdateTeamDutyRecorded = "RecordTeamDutyRecorded"
)

// TeamDutyID is the lifecycle of a team's duty: "TeamDuty:cumberland.north.group_supervision".
// An authority has no dot and a duty is a word, so the team between them
// is read back whole.
func TeamDutyID(authority, team, duty string) string {
	return ID(KindTeamDuty, authority+"."+team+"."+duty)
}

// TeamDutyInput starts (or continues) a team's duty.
type TeamDutyInput struct {
	Authority  string            `json:"authority"`
	Team       string            `json:"team"`
	Duty       policy.TeamDuty   `json:"duty"`
	Escalation policy.Escalation `json:"escalation"`
	// NonWorkingDay moves a due day off a day nobody works.
	NonWorkingDay *policy.NonWorkingDay `json:"non_working_day,omitempty"`
	// ManagerID is the team's manager of record when the lifecycle started,
	// told when a duty the team manager holds is overdue.
	ManagerID   string         `json:"manager_id,omitempty"`
	Start       policy.Date    `json:"start"`
	Pack        policy.PackRef `json:"pack"`
	ClosureDays []policy.Date  `json:"closure_days,omitempty"`
	Actor       string         `json:"actor"`
	State       *TeamDutyState `json:"state,omitempty"`
}

// TeamDutyState is what the team duty lifecycle knows.
type TeamDutyState struct {
	Next *DueState `json:"next"`
	// Records are the records owed of meetings held, by the day held.
	Records  map[string]*DueState `json:"records,omitempty"`
	Held     int                  `json:"held"`
	LastHeld policy.Date          `json:"last_held"`
	Requests map[string]string    `json:"requests"`
}

// TeamDutyHeld records the duty held on a day.
type TeamDutyHeld struct {
	RequestID string      `json:"request_id"`
	HeldOn    policy.Date `json:"held_on"`
	// Attendees are the staff present; Notes where the minutes or record are.
	Attendees []string `json:"attendees,omitempty"`
	Notes     string   `json:"notes,omitempty"`
	// RecordedOn, when given, is the day its record was made.
	RecordedOn policy.Date `json:"recorded_on"`
	Actor      string      `json:"actor"`
}

// TeamDutyRecorded records the record of a meeting held on HeldOn made.
type TeamDutyRecorded struct {
	RequestID  string      `json:"request_id"`
	HeldOn     policy.Date `json:"held_on"`
	RecordedOn policy.Date `json:"recorded_on"`
	Actor      string      `json:"actor"`
}

// TeamDutySchedule is the team duty lifecycle's view.
type TeamDutySchedule struct {
	Authority string         `json:"authority"`
	Team      string         `json:"team"`
	Duty      string         `json:"duty"`
	Lifecycle string         `json:"lifecycle"`
	Pack      policy.PackRef `json:"pack"`
	Every     string         `json:"every"`
	HeldBy    string         `json:"held_by"`
	Rule      string         `json:"rule"`
	Held      int            `json:"held"`
	LastHeld  policy.Date    `json:"last_held"`
	Items     []Item         `json:"items"`
}

type teamDuty struct {
	*lifecycle
	in TeamDutyInput
	st *TeamDutyState
}

// TeamDuty keeps one duty a team owes on time: due every period from the
// last time it was held, overdue and escalated as the pack says, and its
// record due within the pack's limit of each meeting.
func TeamDuty(ctx workflow.Context, in TeamDutyInput) error {
	w := &teamDuty{in: in}
	label := strings.ReplaceAll(in.Duty.Duty, "_", " ")
	w.lifecycle = newLifecycle(ctx, "team_duty", label, "", "team "+in.Team, in.Authority, in.Team, in.Pack, in.ClosureDays, in.Escalation)
	if in.State == nil {
		w.st = &TeamDutyState{
			Next:     &DueState{Seq: 1, Due: w.dueFrom(in.Start), Rule: in.Duty.Rule},
			Records:  map[string]*DueState{},
			Requests: map[string]string{},
		}
	} else {
		w.st = in.State
	}
	if err := workflow.SetQueryHandler(ctx, QuerySchedule, func() (TeamDutySchedule, error) { return w.schedule(), nil }); err != nil {
		return err
	}
	if err := setUpdates(ctx,
		updateHandler{UpdateTeamDutyHeld, w.held, w.validateHeld},
		updateHandler{UpdateTeamDutyRecorded, w.recorded, w.validateRecorded},
	); err != nil {
		return err
	}
	if in.State == nil {
		w.record(ctx, "started", decision.Event{
			Actor: in.Actor, Action: "team_duty.started", RuleID: in.Duty.Rule,
			Detail: map[string]any{"team": in.Team, "duty": in.Duty.Duty, "every": in.Duty.Every.String(), "held_by": in.Duty.HeldBy},
			Due:    w.allDue(),
		})
	}
	again, err := w.run(ctx, func() bool { return false }, w.nextDeadline, w.fireDeadlines)
	if err != nil {
		return err
	}
	if again {
		next := w.in
		next.State = w.st
		return workflow.NewContinueAsNewError(ctx, TeamDutyWorkflow, next)
	}
	return nil
}

// dueFrom is when the duty is next due after a day: a period on, moved off
// a day nobody works as the pack says.
func (w *teamDuty) dueFrom(d policy.Date) policy.Date {
	return w.in.NonWorkingDay.Adjust(w.in.Duty.Every.AddTo(d, w.cal), w.cal)
}

func (w *teamDuty) dutyKey(d *DueState) string { return fmt.Sprintf("%s:%d", w.in.Duty.Duty, d.Seq) }

func recordKey(held policy.Date) string { return "record:" + held.String() }

func (w *teamDuty) recordKind() string { return w.in.Duty.Duty + "_record" }

// dueItem is the lifecycle's, with the team on it (a team duty has no staff).
func (w *teamDuty) item(key, kind string, d *DueState, status string, met policy.Date) decision.DueItemRecord {
	return w.dueItem(key, kind, d.Due, status, met, d.Rule)
}

func (w *teamDuty) allDue() []decision.DueItemRecord {
	out := []decision.DueItemRecord{w.item(w.dutyKey(w.st.Next), w.in.Duty.Duty, w.st.Next, dueStatus(w.st.Next.Overdue), policy.Date{})}
	for _, held := range slices.Sorted(maps.Keys(w.st.Records)) {
		r := w.st.Records[held]
		out = append(out, w.item("record:"+held, w.recordKind(), r, dueStatus(r.Overdue), policy.Date{}))
	}
	return out
}

func (w *teamDuty) nextDeadline() (time.Time, bool) {
	duties := []DueState{*w.st.Next}
	for _, r := range w.st.Records {
		duties = append(duties, *r)
	}
	return w.earliest(duties...)
}

func (w *teamDuty) fireDeadlines(ctx workflow.Context) {
	w.fireOne(ctx, w.st.Next, w.dutyKey(w.st.Next), w.in.Duty.Duty, w.lifecycle.label)
	for _, held := range slices.Sorted(maps.Keys(w.st.Records)) {
		w.fireOne(ctx, w.st.Records[held], "record:"+held, w.recordKind(), fmt.Sprintf("record of the %s held on %s", w.lifecycle.label, held))
	}
}

// holder is who is told first: the team's manager, or the senior managers
// for a duty of the departmental management team.
func (w *teamDuty) holder() (recipient, role string) {
	if w.in.Duty.HeldBy == policy.HeldByDMT {
		return "", "senior_manager"
	}
	return w.in.ManagerID, "team_manager"
}

// fireOne marks a duty overdue (its holder is told) and, the pack's delay
// later, escalated (the senior managers are told).
func (w *teamDuty) fireOne(ctx workflow.Context, d *DueState, key, kind, what string) {
	now := workflow.Now(ctx)
	recipient, role := w.holder()
	if !d.Overdue && !now.Before(d.Due.EndInstant()) {
		d.Overdue = true
		w.record(ctx, "overdue:"+key, decision.Event{
			Actor: "system", Action: "team_duty.overdue", RuleID: d.Rule,
			Reason: fmt.Sprintf("%s in team %s due %s was not done", what, w.in.Team, d.Due),
			Due:    []decision.DueItemRecord{w.item(key, kind, d, "overdue", policy.Date{})},
			Notifications: []decision.NotificationRecord{{
				Recipient: recipient, RecipientRole: role, Kind: "overdue", DueKey: key,
				Subject: fmt.Sprintf("Overdue: %s in team %s", what, w.in.Team),
				Body:    fmt.Sprintf("The %s of team %s (%s) was due on %s and has not been recorded (%s).", what, w.in.Team, w.in.Authority, d.Due, d.Rule),
			}},
		})
	}
	if w.escalates(d, now) {
		d.Escalated = true
		w.record(ctx, "escalation:"+key, decision.Event{
			Actor: "system", Action: "team_duty.escalated", RuleID: w.escalation.Rule,
			Reason: fmt.Sprintf("%s in team %s due %s still not done %s later", what, w.in.Team, d.Due, w.escalation.After),
			Notifications: []decision.NotificationRecord{{
				RecipientRole: "senior_manager", Kind: "escalation", DueKey: key,
				Subject: fmt.Sprintf("Escalation: %s in team %s", what, w.in.Team),
				Body:    fmt.Sprintf("The %s of team %s (%s) was due on %s and is still not recorded (%s, %s).", what, w.in.Team, w.in.Authority, d.Due, d.Rule, w.escalation.Rule),
			}},
		})
	}
}

func (w *teamDuty) validateHeld(ctx workflow.Context, in TeamDutyHeld) error {
	// A meeting before the lifecycle started counts: a team's duty starts
	// with its first member or its first record, not its first meeting.
	if err := checkRequest(ctx, w.st.Requests, in.RequestID, "held_on", in.HeldOn, policy.Date{}); err != nil {
		return err
	}
	if !w.st.LastHeld.IsZero() && !in.HeldOn.After(w.st.LastHeld) {
		return conflict("held_on", fmt.Sprintf("the %s was last held on %s: record meetings in the order held", w.lifecycle.label, w.st.LastHeld))
	}
	if !in.RecordedOn.IsZero() {
		if in.RecordedOn.Before(in.HeldOn) {
			return invalid("recorded_on", fmt.Sprintf("%s is before the meeting on %s", in.RecordedOn, in.HeldOn))
		}
		if in.RecordedOn.After(today(ctx)) {
			return invalid("recorded_on", fmt.Sprintf("%s is in the future", in.RecordedOn))
		}
	}
	return nil
}

// held meets the duty due and sets the next a period from the day held;
// when the pack limits the record, the record is due within it (met at once
// when it was made already).
func (w *teamDuty) held(ctx workflow.Context, in TeamDutyHeld) (TeamDutySchedule, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateTeamDutyHeld
	w.st.Held++
	w.st.LastHeld = in.HeldOn
	d := w.st.Next
	ev := decision.Event{
		Actor: in.Actor, Action: "team_duty.held", RuleID: d.Rule,
		Detail: map[string]any{"team": w.in.Team, "duty": w.in.Duty.Duty, "held_on": in.HeldOn.String(), "attendees": in.Attendees, "notes": in.Notes},
		Due:    []decision.DueItemRecord{w.item(w.dutyKey(d), w.in.Duty.Duty, d, "met", in.HeldOn)},
	}
	w.st.Next = &DueState{Seq: d.Seq + 1, Due: w.dueFrom(in.HeldOn), Rule: w.in.Duty.Rule}
	ev.Due = append(ev.Due, w.item(w.dutyKey(w.st.Next), w.in.Duty.Duty, w.st.Next, "due", policy.Date{}))
	if rw := w.in.Duty.RecordWithin; rw != nil {
		r := &DueState{Due: rw.Period.AddTo(in.HeldOn, w.cal), Rule: rw.Rule}
		if in.RecordedOn.IsZero() {
			w.st.Records[in.HeldOn.String()] = r
			ev.Due = append(ev.Due, w.item(recordKey(in.HeldOn), w.recordKind(), r, "due", policy.Date{}))
		} else {
			ev.Due = append(ev.Due, w.item(recordKey(in.HeldOn), w.recordKind(), r, "met", in.RecordedOn))
			ev.Detail["recorded_on"] = in.RecordedOn.String()
			ev.Detail["recorded_late"] = in.RecordedOn.After(r.Due)
		}
	}
	w.record(ctx, "held:"+in.RequestID, ev)
	return w.schedule(), nil
}

func (w *teamDuty) validateRecorded(ctx workflow.Context, in TeamDutyRecorded) error {
	if err := checkRequest(ctx, w.st.Requests, in.RequestID, "recorded_on", in.RecordedOn, in.HeldOn); err != nil {
		return err
	}
	if w.in.Duty.RecordWithin == nil {
		return conflict("held_on", fmt.Sprintf("the pack sets no time limit for the record of a %s", w.lifecycle.label))
	}
	if _, ok := w.st.Records[in.HeldOn.String()]; !ok {
		return conflict("held_on", fmt.Sprintf("no %s held on %s is waiting for its record", w.lifecycle.label, in.HeldOn))
	}
	return nil
}

// recorded meets a held meeting's record.
func (w *teamDuty) recorded(ctx workflow.Context, in TeamDutyRecorded) (TeamDutySchedule, error) {
	w.touch()
	w.st.Requests[in.RequestID] = UpdateTeamDutyRecorded
	r := w.st.Records[in.HeldOn.String()]
	delete(w.st.Records, in.HeldOn.String())
	w.record(ctx, "recorded:"+in.RequestID, decision.Event{
		Actor: in.Actor, Action: "team_duty.recorded", RuleID: r.Rule,
		Detail: map[string]any{"team": w.in.Team, "duty": w.in.Duty.Duty, "held_on": in.HeldOn.String(), "recorded_on": in.RecordedOn.String(), "recorded_late": in.RecordedOn.After(r.Due)},
		Due:    []decision.DueItemRecord{w.item(recordKey(in.HeldOn), w.recordKind(), r, "met", in.RecordedOn)},
	})
	return w.schedule(), nil
}

func (w *teamDuty) schedule() TeamDutySchedule {
	s := TeamDutySchedule{
		Authority: w.in.Authority, Team: w.in.Team, Duty: w.in.Duty.Duty, Lifecycle: KindTeamDuty, Pack: w.in.Pack,
		Every: w.in.Duty.Every.String(), HeldBy: w.in.Duty.HeldBy, Rule: w.in.Duty.Rule, Held: w.st.Held, LastHeld: w.st.LastHeld, Items: []Item{},
	}
	n := w.st.Next
	s.Items = append(s.Items, Item{Key: w.dutyKey(n), Kind: w.in.Duty.Duty, Due: n.Due, Status: dueStatus(n.Overdue), Escalated: n.Escalated, Rule: n.Rule})
	for _, held := range slices.Sorted(maps.Keys(w.st.Records)) {
		r := w.st.Records[held]
		s.Items = append(s.Items, Item{Key: "record:" + held, Kind: w.recordKind(), Due: r.Due, Status: dueStatus(r.Overdue), Escalated: r.Escalated, Rule: r.Rule})
	}
	return s
}

// NewTeamDutyInput is the start of a team's duty under a pack.
func NewTeamDutyInput(pack *policy.Pack, team string, duty policy.TeamDuty, managerID string, start policy.Date, actor string) TeamDutyInput {
	in := TeamDutyInput{
		Authority: pack.Authority, Team: team, Duty: duty, ManagerID: managerID, Start: start,
		Pack: pack.Ref(), ClosureDays: pack.ClosureDays, Actor: actor,
	}
	if td := pack.TeamDuties; td != nil {
		in.Escalation, in.NonWorkingDay = td.Escalation, td.NonWorkingDay
	}
	return in
}
