package workflows

import (
	"fmt"
	"time"

	"github.com/securebase/securebase/policy"
)

// Schedule is what a lifecycle says is due: read by query, so it is the
// workflow's own view, never a stale copy.
type Schedule struct {
	StaffID       string         `json:"staff_id"`
	Lifecycle     string         `json:"lifecycle"`
	WorkflowID    string         `json:"workflow_id,omitempty"`
	Pack          policy.PackRef `json:"pack"`
	Programme     string         `json:"programme,omitempty"`
	Status        string         `json:"status"`
	Start         policy.Date    `json:"start"`
	End           policy.Date    `json:"end"`
	SupervisorID  string         `json:"supervisor_id"`
	Sessions      int            `json:"sessions"`
	LastSessionOn policy.Date    `json:"last_session_on"`
	Cadence       string         `json:"cadence,omitempty"` // the interval in force today
	CaseloadShare *ShareView     `json:"caseload_share,omitempty"`
	PausedSince   policy.Date    `json:"paused_since"`
	// AcademyAttended: Academy group supervisions attended (shown, never due).
	AcademyAttended int    `json:"academy_attended,omitempty"`
	Items           []Item `json:"items"`
}

// ShareView is the caseload share in force today.
type ShareView struct {
	Percent int    `json:"percent"`
	Rule    string `json:"rule"`
}

// Item is one duty: due, overdue, met or escalated, with the rule behind it.
type Item struct {
	Key       string      `json:"key"`
	Kind      string      `json:"kind"`
	Due       policy.Date `json:"due"`
	Status    string      `json:"status"` // "due", "overdue", "met", "paused"
	HeldOn    policy.Date `json:"held_on"`
	Escalated bool        `json:"escalated"`
	Rule      string      `json:"rule"`
	Note      string      `json:"note,omitempty"` // why an item is flagged
}

func (w *asye) schedule(now time.Time) Schedule {
	st := w.st
	today := policy.DateOf(now)
	s := Schedule{
		StaffID: w.in.StaffID, Lifecycle: KindASYE, Pack: w.in.Pack, Programme: w.in.Rules.Programme,
		Status: st.Status, Start: w.in.Start, End: w.end(), SupervisorID: st.SupervisorID,
		Sessions: st.Sessions, LastSessionOn: st.LastSessionOn, AcademyAttended: st.AcademyAttended,
	}
	if st.Pause != nil {
		s.PausedSince = st.Pause.From
	}
	if !w.finished() {
		s.Cadence = w.in.Rules.IntervalAt(w.effectiveStart(), today, w.cal).String()
		if pct, rule := w.in.Rules.ShareAt(w.effectiveStart(), today, w.cal); rule != "" {
			s.CaseloadShare = &ShareView{Percent: pct, Rule: rule}
		}
		sess := st.Session
		s.Items = append(s.Items, Item{
			Key: fmt.Sprintf("session:%d", sess.Seq), Kind: "asye_session", Due: sess.Due,
			Status: w.itemStatus(sess.Overdue), Escalated: sess.Escalated, Rule: sess.Rule,
		})
	}
	for _, r := range st.Reviews {
		it := Item{Key: "review:" + r.Name, Kind: "asye_review", Due: r.Due, HeldOn: r.HeldOn, Escalated: r.Escalated, Rule: r.Rule}
		if r.HeldOn.IsZero() {
			if w.finished() {
				continue
			}
			it.Status = w.itemStatus(r.Overdue)
		} else {
			it.Status = "met"
		}
		s.Items = append(s.Items, it)
	}
	s.Items = append(s.Items, shortItems(st.ShortSessions)...)
	return s
}

func (w *asye) itemStatus(overdue bool) string {
	switch {
	case w.st.Status == StatusPaused:
		return "paused"
	case overdue:
		return "overdue"
	default:
		return "due"
	}
}
