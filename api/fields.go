package api

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/securebase/securebase/policy"
)

// idPattern is the one grammar of every identifier a request gives: staff,
// case, request, hold and delegation ids. Identifiers become parts of
// derived ids joined by '.' (a record: "<staff>.<request>") and ':' (a
// workflow "Kind:<id>", an audit event "hold:<request>:lifted", an update
// "<request>:<digest>"), so neither may appear in one: two different inputs
// can then never build the same derived id, and no request can claim an id
// the system keeps for its own events.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// idGrammar says the grammar in a refusal.
const idGrammar = "must be 1 to 64 letters, digits, '_' or '-'"

// Dates a request may give lie within these bounds: before 1970 nobody now
// employed started, and after 2099 is a typing error that would put a
// deadline beyond any calendar the service keeps.
var (
	earliestDate = policy.NewDate(1970, time.January, 1)
	latestDate   = policy.NewDate(2099, time.December, 31)
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
	case !idPattern.MatchString(id):
		k.add(Problem{Field: "request_id", Problem: idGrammar})
	}
	return k
}

// id checks a required identifier against the grammar (idPattern).
func (k *checks) id(field, v string) {
	if v == "" {
		k.add(Problem{Field: field, Problem: "is required"})
	} else if !idPattern.MatchString(v) {
		k.add(Problem{Field: field, Problem: idGrammar})
	}
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
	v, err := parseDate(value)
	if err != nil {
		k.add(Problem{Field: field, Problem: err.Error()})
	}
	return v
}

// parseDate is every date a request gives: YYYY-MM-DD within
// [earliestDate, latestDate].
func parseDate(value string) (policy.Date, error) {
	v, err := policy.ParseDate(value)
	if err != nil {
		return policy.Date{}, err
	}
	if v.Before(earliestDate) || v.After(latestDate) {
		return policy.Date{}, fmt.Errorf("%s is outside the dates this service accepts (%s to %s)", value, earliestDate, latestDate)
	}
	return v, nil
}

// optionalDate parses a date that may be left out.
func (k *checks) optionalDate(field, value string) policy.Date {
	if value == "" {
		return policy.Date{}
	}
	return k.date(field, value)
}

// minutes bounds a duration to a day; the lifecycle holds it to the pack's
// session length.
func (k *checks) minutes(field string, v int) {
	if v > 24*60 {
		k.add(Problem{Field: field, Problem: fmt.Sprintf("%d minutes is longer than a day", v)})
	}
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

// controlChars finds a string in a decoded request holding a control
// character (NUL and the like, which a database truncates or refuses) and
// names its JSON field. Tab, newline and carriage return are allowed: free
// text has lines.
func controlChars(v reflect.Value, field string) *Problem {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return controlChars(v.Elem(), field)
		}
	case reflect.String:
		if i := strings.IndexFunc(v.String(), func(r rune) bool {
			return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
		}); i >= 0 {
			return &Problem{Field: field, Problem: fmt.Sprintf("holds a control character (%U) at byte %d", []rune(v.String()[i:])[0], i)}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := controlChars(v.Index(i), field); p != nil {
				return p
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p := controlChars(it.Value(), field); p != nil {
				return p
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case name == "-":
				continue
			case f.Anonymous && name == "":
				name = field // an embedded struct's fields are the outer object's
			case name == "":
				name = f.Name
			}
			if field != "" && !f.Anonymous {
				name = field + "." + name
			}
			if p := controlChars(v.Field(i), name); p != nil {
				return p
			}
		}
	}
	return nil
}
