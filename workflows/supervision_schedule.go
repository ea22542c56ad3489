package workflows

import (
	"fmt"
	"time"

	"github.com/securebase/securebase/policy"
)

// schedule is the lifecycle's own view: every open duty with its rule, the
// bookings ahead, cancelled sessions, cover and the supervisee's gaps.
func (w *supervision) schedule(now time.Time) Schedule {
	st := w.st
	s := Schedule{
		StaffID: w.in.Person.StaffID, Lifecycle: KindSupervision, Pack: w.in.Pack,
		Status: st.Status, Start: w.in.Person.Start, End: st.ClosedOn, SupervisorID: st.SupervisorID,
		Sessions: st.Sessions, LastSessionOn: st.LastSessionOn, AcademyAttended: st.AcademyAttended, Items: []Item{},
	}
	if w.finished() {
		return s
	}
	s.Cadence = w.cadenceText(policy.DateOf(now))
	for _, d := range w.duties() {
		s.Items = append(s.Items, Item{
			Key: d.key, Kind: d.kind, Due: d.d.Due, Status: dueStatus(d.d.Overdue), Escalated: d.d.Escalated, Rule: d.d.Rule,
		})
	}
	bookingRule := st.Session.Rule
	if h := w.in.BookingHorizon; h != nil {
		bookingRule = h.Rule
	}
	for _, b := range st.Bookings {
		it := Item{Key: "booking:" + b.On.String(), Kind: ItemBooking, Due: b.On, Status: b.Status, Rule: bookingRule}
		if b.Status == BookingHeld {
			it.HeldOn = b.On
		}
		s.Items = append(s.Items, it)
	}
	for _, r := range st.Rebookings {
		if !r.MetOn.IsZero() {
			s.Items = append(s.Items, Item{Key: rebookKey(&r), Kind: ItemRebooking, Due: r.Due, Status: "met", HeldOn: r.MetOn, Rule: r.Rule})
		}
	}
	if a := st.Absence; a != nil {
		for i, c := range a.Covers {
			if !c.MetOn.IsZero() {
				s.Items = append(s.Items, Item{Key: coverKey(a.Seq, i), Kind: ItemCover, Due: c.Due, Status: "met", HeldOn: c.MetOn, Rule: c.Rule})
			}
		}
	}
	s.Items = append(s.Items, shortItems(st.ShortSessions)...)
	for _, g := range st.Gaps {
		if g.OnRecord == "" {
			// Due is when the gap began; it goes on the next record.
			s.Items = append(s.Items, Item{Key: fmt.Sprintf("gap:%d", g.Seq), Kind: ItemGap, Due: g.From, Status: "recorded", Rule: st.Session.Rule})
		}
	}
	return s
}
