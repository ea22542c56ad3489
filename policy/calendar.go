package policy

import (
	"slices"
	"sync"
	"time"
)

// Holiday is a bank holiday in England and Wales, on the day it is taken
// (a substitute day when the holiday itself falls at a weekend).
type Holiday struct {
	Date Date   `json:"date"`
	Name string `json:"name"`
}

// Calendar says which days are working days: Monday to Friday, less the
// England and Wales bank holidays (computed, no network) and an authority's
// own closure days. Safe for concurrent use.
type Calendar struct {
	closures map[int]bool

	mu    sync.Mutex
	years map[int]map[int]bool // bank holidays by year, computed on first use
}

// NewCalendar builds a calendar with the authority's closure days (for
// example a Christmas closure) on top of the bank holidays.
func NewCalendar(closures []Date) *Calendar {
	c := &Calendar{closures: map[int]bool{}, years: map[int]map[int]bool{}}
	for _, d := range closures {
		c.closures[dayKey(d)] = true
	}
	return c
}

func dayKey(d Date) int { return d.Year()*10000 + int(d.Month())*100 + d.Day() }

// IsWorkingDay reports whether d is a weekday that is neither a bank holiday
// nor a closure day.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	k := dayKey(d)
	if c.closures[k] {
		return false
	}
	return !c.holidays(d.Year())[k]
}

func (c *Calendar) holidays(year int) map[int]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if h, ok := c.years[year]; ok {
		return h
	}
	h := map[int]bool{}
	for _, b := range BankHolidays(year) {
		h[dayKey(b.Date)] = true
	}
	c.years[year] = h
	return h
}

// AddWorkingDays is the n-th working day after d (n = 0 is d itself; a
// negative n counts back).
func (c *Calendar) AddWorkingDays(d Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkingDay(d) {
			n--
		}
	}
	return d
}

// oneOffs are bank holidays proclaimed for a single year.
var oneOffs = []Holiday{
	{NewDate(1973, time.November, 14), "Royal wedding bank holiday"},
	{NewDate(1977, time.June, 7), "Silver Jubilee bank holiday"},
	{NewDate(1981, time.July, 29), "Royal wedding bank holiday"},
	{NewDate(1999, time.December, 31), "Millennium bank holiday"},
	{NewDate(2002, time.June, 3), "Golden Jubilee bank holiday"},
	{NewDate(2011, time.April, 29), "Royal wedding bank holiday"},
	{NewDate(2012, time.June, 5), "Diamond Jubilee bank holiday"},
	{NewDate(2022, time.June, 3), "Platinum Jubilee bank holiday"},
	{NewDate(2022, time.September, 19), "Bank Holiday for the State Funeral of Queen Elizabeth II"},
	{NewDate(2023, time.May, 8), "Bank holiday for the coronation of King Charles III"},
}

// movedSpring are the years the spring bank holiday moved from the last
// Monday in May to sit beside a jubilee.
var movedSpring = map[int]Date{
	1977: NewDate(1977, time.June, 6),
	2002: NewDate(2002, time.June, 4),
	2012: NewDate(2012, time.June, 4),
	2022: NewDate(2022, time.June, 2),
}

// movedEarlyMay are the years the early May bank holiday moved to VE Day.
var movedEarlyMay = map[int]Date{
	1995: NewDate(1995, time.May, 8),
	2020: NewDate(2020, time.May, 8),
}

// BankHolidays lists the England and Wales bank holidays of a year, in date
// order, as taken: the rules of the Banking and Financial Dealings Act 1971
// (the early May holiday from 1978), substitute days, and the one-off
// holidays and moves proclaimed since.
func BankHolidays(year int) []Holiday {
	var hs []Holiday
	add := func(d Date, name string) { hs = append(hs, Holiday{d, name}) }

	ny := NewDate(year, time.January, 1)
	switch ny.Weekday() {
	case time.Saturday:
		add(ny.AddDays(2), "New Year's Day (substitute day)")
	case time.Sunday:
		add(ny.AddDays(1), "New Year's Day (substitute day)")
	default:
		add(ny, "New Year's Day")
	}

	easter := EasterSunday(year)
	add(easter.AddDays(-2), "Good Friday")
	add(easter.AddDays(1), "Easter Monday")

	if year >= 1978 {
		if d, ok := movedEarlyMay[year]; ok {
			add(d, "Early May bank holiday (VE day)")
		} else {
			add(firstMonday(year, time.May), "Early May bank holiday")
		}
	}
	if d, ok := movedSpring[year]; ok {
		add(d, "Spring bank holiday")
	} else {
		add(lastMonday(year, time.May), "Spring bank holiday")
	}
	add(lastMonday(year, time.August), "Summer bank holiday")

	// Christmas and Boxing Day: a holiday at the weekend moves to the next
	// weekday not already taken, Boxing Day keeping the 26th when it can.
	christmas := NewDate(year, time.December, 25)
	switch christmas.Weekday() {
	case time.Friday: // Boxing Day Saturday: substitute Monday 28
		add(christmas, "Christmas Day")
		add(christmas.AddDays(3), "Boxing Day (substitute day)")
	case time.Saturday: // Monday 27 and Tuesday 28
		add(christmas.AddDays(2), "Christmas Day (substitute day)")
		add(christmas.AddDays(3), "Boxing Day (substitute day)")
	case time.Sunday: // Boxing Day Monday 26, Christmas substitute Tuesday 27
		add(christmas.AddDays(1), "Boxing Day")
		add(christmas.AddDays(2), "Christmas Day (substitute day)")
	default:
		add(christmas, "Christmas Day")
		add(christmas.AddDays(1), "Boxing Day")
	}

	for _, h := range oneOffs {
		if h.Date.Year() == year {
			hs = append(hs, h)
		}
	}
	slices.SortStableFunc(hs, func(a, b Holiday) int { return a.Date.Time().Compare(b.Date.Time()) })
	return hs
}

// EasterSunday is Easter Day in the Gregorian calendar (the anonymous
// Gregorian computus, also known as Meeus/Jones/Butcher).
func EasterSunday(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return NewDate(year, time.Month(month), day)
}

func firstMonday(year int, m time.Month) Date {
	d := NewDate(year, m, 1)
	for d.Weekday() != time.Monday {
		d = d.AddDays(1)
	}
	return d
}

func lastMonday(year int, m time.Month) Date {
	d := NewDate(year, m+1, 1).AddDays(-1) // time.Date normalises December+1
	for d.Weekday() != time.Monday {
		d = d.AddDays(-1)
	}
	return d
}
