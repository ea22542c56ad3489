package policy

import (
	"encoding/json"
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Date is a civil date (no time of day, no zone). Supervision duties are due
// on days, not instants; London time decides when a day has passed.
type Date struct{ t time.Time }

const dateLayout = "2006-01-02"

// London is the zone in which a due day ends. Loaded from the embedded tzdata.
var London = mustZone("Europe/London")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// NewDate builds a date from its parts.
func NewDate(y int, m time.Month, d int) Date {
	return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)}
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// DateOf is the London calendar day of an instant.
func DateOf(t time.Time) Date {
	l := t.In(London)
	return NewDate(l.Year(), l.Month(), l.Day())
}

func (d Date) IsZero() bool          { return d.t.IsZero() }
func (d Date) String() string        { return d.t.Format(dateLayout) }
func (d Date) Time() time.Time       { return d.t }
func (d Date) Year() int             { return d.t.Year() }
func (d Date) Month() time.Month     { return d.t.Month() }
func (d Date) Day() int              { return d.t.Day() }
func (d Date) Weekday() time.Weekday { return d.t.Weekday() }
func (d Date) Before(o Date) bool    { return d.t.Before(o.t) }
func (d Date) After(o Date) bool     { return d.t.After(o.t) }
func (d Date) Equal(o Date) bool     { return d.t.Equal(o.t) }
func (d Date) AddDays(n int) Date    { return Date{d.t.AddDate(0, 0, n)} }

// DaysUntil is the number of days from d to o (negative when o is earlier).
func (d Date) DaysUntil(o Date) int { return int(o.t.Sub(d.t).Hours() / 24) }

// AddMonths adds calendar months, clamping to the month's last day (31 Jan + 1
// month is 28 or 29 Feb, never 2 or 3 March).
func (d Date) AddMonths(n int) Date {
	first := time.Date(d.t.Year(), d.t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	day := d.t.Day()
	if day > last {
		day = last
	}
	return NewDate(first.Year(), first.Month(), day)
}

// EndOfMonth is the last day of the calendar month n months after d's.
func (d Date) EndOfMonth(n int) Date {
	first := time.Date(d.t.Year(), d.t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n+1, -1)
	return NewDate(first.Year(), first.Month(), first.Day())
}

// EndInstant is the first instant after the day, in London: a duty due on d is
// overdue from then.
func (d Date) EndInstant() time.Time {
	n := d.AddDays(1)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, London)
}

func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a date must be a string YYYY-MM-DD")
	}
	p, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = p
	return nil
}

func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	p, err := ParseDate(n.Value)
	if err != nil {
		return err
	}
	*d = p
	return nil
}
