package api

import (
	"fmt"

	"github.com/securebase/securebase/policy"
)

// checks collects what is wrong with a request's fields, in the order found,
// so one 422 names every problem at once.
type checks struct {
	requestID string // an update's, checked first
	probs     []Problem
}

// requestChecks starts the checks of an update with its request id, which
// makes a retried request safe.
func requestChecks(id string) *checks {
	k := &checks{requestID: id}
	switch {
	case id == "":
		k.add(Problem{Field: "request_id", Problem: "is required: it makes a retried request safe"})
	case len(id) > 128:
		k.add(Problem{Field: "request_id", Problem: "is longer than 128 characters"})
	}
	return k
}

func (k *checks) add(probs ...Problem) { k.probs = append(k.probs, probs...) }

// err is the 422 naming every problem found, or nil.
func (k *checks) err() error {
	if len(k.probs) == 0 {
		return nil
	}
	return unprocessable(k.probs)
}

// date parses a required date field. Dates are strings in request bodies so
// a bad one is reported against its own field.
func (k *checks) date(field, value string) policy.Date {
	if value == "" {
		k.add(Problem{Field: field, Problem: "is required"})
		return policy.Date{}
	}
	v, err := policy.ParseDate(value)
	if err != nil {
		k.add(Problem{Field: field, Problem: err.Error()})
	}
	return v
}

// optionalDate parses a date that may be left out.
func (k *checks) optionalDate(field, value string) policy.Date {
	if value == "" {
		return policy.Date{}
	}
	return k.date(field, value)
}

// maxText bounds a free-text field of an agreement or of personal supervision.
const maxText = 4000

// bounded refuses an overlong free-text field (whether one is needed is the
// lifecycle's to say).
func (k *checks) bounded(field, v string) {
	if len(v) > maxText {
		k.add(Problem{Field: field, Problem: fmt.Sprintf("is longer than %d characters", maxText)})
	}
}

// text checks a free-text field is given (why says what it is for) and bounded.
func (k *checks) text(field, v, why string) {
	if v == "" {
		k.add(Problem{Field: field, Problem: "is required: " + why})
		return
	}
	k.bounded(field, v)
}
