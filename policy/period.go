package policy

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxPeriodN bounds a period's count. No policy states a period of ten
// thousand units, and the bound keeps working-day arithmetic finite.
const maxPeriodN = 9999

// periodUnits lists the units in the order ParsePeriod tries their suffixes:
// "cmo" before "mo", and "wd" and "mo" before the one-letter units they end like.
var periodUnits = []PeriodUnit{CalendarMonths, WorkingDays, Months, Days, Weeks, Years, Hours}

// ParsePeriod reads a period as a policy pack writes it: "6w", "1mo", "12mo",
// "5wd", "72h", "7y", "0d", and "1cmo" (every calendar month).
func ParsePeriod(s string) (Period, error) {
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "-") {
		return Period{}, fmt.Errorf("%q is negative", s)
	}
	for _, u := range periodUnits {
		num, ok := strings.CutSuffix(t, string(u))
		if !ok || num == "" || strings.TrimLeft(num, "0123456789") != "" {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n > maxPeriodN {
			return Period{}, fmt.Errorf("%q is too long (at most %d units)", s, maxPeriodN)
		}
		return Period{N: n, Unit: u}, nil
	}
	return Period{}, fmt.Errorf("%q is not a period: write a whole number and a unit, d (days), w (weeks), mo (rolling months), cmo (calendar months), y (years), wd (working days) or h (hours), e.g. 6w", s)
}

// String writes the period back in the form ParsePeriod reads.
func (p Period) String() string {
	if p.Unit == "" {
		return fmt.Sprintf("%dd", p.N)
	}
	return fmt.Sprintf("%d%s", p.N, p.Unit)
}

// IsZero reports a period of no length (including the unset period).
func (p Period) IsZero() bool { return p.N == 0 }

// AddTo is the day the period ends when it starts on d: days and weeks are
// exact, months and years are rolling months (clamped to the month's end),
// calendar months end on the last day of the month N months on,
// working days skip weekends, bank holidays and the calendar's closures, and
// hours round up to whole days (a 72-hour deadline is three days).
func (p Period) AddTo(d Date, cal *Calendar) Date {
	switch p.Unit {
	case Days:
		return d.AddDays(p.N)
	case Weeks:
		return d.AddDays(7 * p.N)
	case Months:
		return d.AddMonths(p.N)
	case CalendarMonths:
		return d.EndOfMonth(p.N)
	case Years:
		return d.AddMonths(12 * p.N)
	case WorkingDays:
		if cal == nil {
			cal = NewCalendar(nil)
		}
		return cal.AddWorkingDays(d, p.N)
	case Hours:
		return d.AddDays((p.N + 23) / 24)
	}
	return d
}

// approxDays is the period's length in days on average, for comparing
// periods written in different units (is a review "beyond" the programme?).
// Dates are always computed with AddTo.
func (p Period) approxDays() float64 {
	n := float64(p.N)
	switch p.Unit {
	case Weeks:
		return 7 * n
	case Months, CalendarMonths:
		return 365.25 / 12 * n
	case Years:
		return 365.25 * n
	case WorkingDays:
		return 7.0 / 5 * n
	case Hours:
		return n / 24
	}
	return n
}

// MarshalYAML writes the period as its string, e.g. "6w".
func (p Period) MarshalYAML() (any, error) { return p.String(), nil }

// UnmarshalYAML reads "6w". Its errors are yaml TypeErrors carrying the line
// and column, so a pack's loader reports every bad period, each where it is.
func (p *Period) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: a period is written as a string like 6w, 1mo or 5wd", n.Line, n.Column)}}
	}
	v, err := ParsePeriod(n.Value)
	if err != nil {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: %s", n.Line, n.Column, err)}}
	}
	*p = v
	return nil
}
