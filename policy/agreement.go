package policy

import "slices"

// These helpers read the agreement block for the agreement lifecycle, so a
// pack's silence is handled in one place: no sign_within, no deadline; no
// renew_every, no yearly renewal; no reagree_on, nothing re-opens it.

// SignDue is the day by which both parties sign a version of the agreement
// that opened on opened, with the rule that gives the limit.
func (a Agreement) SignDue(opened Date, cal *Calendar) (Date, string, bool) {
	if a.SignWithin == nil {
		return Date{}, "", false
	}
	return a.SignWithin.Period.AddTo(opened, cal), a.SignWithin.Rule, true
}

// RenewalDue is the day an agreement signed on agreed is renewed.
func (a Agreement) RenewalDue(agreed Date, cal *Calendar) (Date, string, bool) {
	if a.RenewEvery == nil {
		return Date{}, "", false
	}
	return a.RenewEvery.Period.AddTo(agreed, cal), a.RenewEvery.Rule, true
}

// Reopens reports whether event (one of AgreementEvents) calls for the
// agreement to be agreed and signed again: only the events reagree_on lists.
func (a Agreement) Reopens(event string) bool {
	return a.ReagreeOn != nil && slices.Contains(a.ReagreeOn.Events, event)
}

// Rule is the rule an agreement cites when no more particular one applies:
// the signing limit's, else the renewal's, else the re-agreement's.
func (a Agreement) Rule() string {
	switch {
	case a.SignWithin != nil:
		return a.SignWithin.Rule
	case a.RenewEvery != nil:
		return a.RenewEvery.Rule
	case a.ReagreeOn != nil:
		return a.ReagreeOn.Rule
	}
	return ""
}
