package policy

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The England and Wales bank holidays published on gov.uk.
var govUK = map[int][]string{
	2019: {"2019-01-01", "2019-04-19", "2019-04-22", "2019-05-06", "2019-05-27", "2019-08-26", "2019-12-25", "2019-12-26"},
	2020: {"2020-01-01", "2020-04-10", "2020-04-13", "2020-05-08", "2020-05-25", "2020-08-31", "2020-12-25", "2020-12-28"},
	2021: {"2021-01-01", "2021-04-02", "2021-04-05", "2021-05-03", "2021-05-31", "2021-08-30", "2021-12-27", "2021-12-28"},
	2022: {"2022-01-03", "2022-04-15", "2022-04-18", "2022-05-02", "2022-06-02", "2022-06-03", "2022-08-29", "2022-09-19", "2022-12-26", "2022-12-27"},
	2023: {"2023-01-02", "2023-04-07", "2023-04-10", "2023-05-01", "2023-05-08", "2023-05-29", "2023-08-28", "2023-12-25", "2023-12-26"},
	2024: {"2024-01-01", "2024-03-29", "2024-04-01", "2024-05-06", "2024-05-27", "2024-08-26", "2024-12-25", "2024-12-26"},
	2025: {"2025-01-01", "2025-04-18", "2025-04-21", "2025-05-05", "2025-05-26", "2025-08-25", "2025-12-25", "2025-12-26"},
	2026: {"2026-01-01", "2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31", "2026-12-25", "2026-12-28"},
	2027: {"2027-01-01", "2027-03-26", "2027-03-29", "2027-05-03", "2027-05-31", "2027-08-30", "2027-12-27", "2027-12-28"},
}

func TestBankHolidaysMatchGovUK(t *testing.T) {
	for year, want := range govUK {
		var got []string
		for _, h := range BankHolidays(year) {
			got = append(got, h.Date.String())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d:\n got %v\nwant %v", year, got, want)
		}
	}
}

func TestBankHolidayNames(t *testing.T) {
	names := map[string]string{}
	for _, y := range []int{2020, 2021, 2022, 2023} {
		for _, h := range BankHolidays(y) {
			names[h.Date.String()] = h.Name
		}
	}
	for d, want := range map[string]string{
		"2020-05-08": "Early May bank holiday (VE day)",
		"2021-12-27": "Christmas Day (substitute day)",
		"2021-12-28": "Boxing Day (substitute day)",
		"2022-01-03": "New Year's Day (substitute day)",
		"2022-06-02": "Spring bank holiday",
		"2022-06-03": "Platinum Jubilee bank holiday",
		"2022-09-19": "Bank Holiday for the State Funeral of Queen Elizabeth II",
		"2022-12-26": "Boxing Day",
		"2022-12-27": "Christmas Day (substitute day)",
		"2023-05-08": "Bank holiday for the coronation of King Charles III",
	} {
		if names[d] != want {
			t.Errorf("%s: got %q, want %q", d, names[d], want)
		}
	}
}

func TestMovedAndOneOffHolidays(t *testing.T) {
	for _, c := range []struct {
		year int
		want []string // must be present
		not  []string // must be absent
	}{
		{1995, []string{"1995-05-08"}, []string{"1995-05-01"}},
		{1999, []string{"1999-12-27", "1999-12-28", "1999-12-31"}, nil},
		{2002, []string{"2002-06-03", "2002-06-04"}, []string{"2002-05-27"}},
		{2011, []string{"2011-04-29"}, nil},
		{2012, []string{"2012-06-04", "2012-06-05"}, []string{"2012-05-28"}},
		{2022, []string{"2022-06-02", "2022-06-03"}, []string{"2022-05-30"}},
	} {
		var got []string
		for _, h := range BankHolidays(c.year) {
			got = append(got, h.Date.String())
		}
		for _, d := range c.want {
			if !slices.Contains(got, d) {
				t.Errorf("%d: %s missing from %v", c.year, d, got)
			}
		}
		for _, d := range c.not {
			if slices.Contains(got, d) {
				t.Errorf("%d: %s should not be a holiday: %v", c.year, d, got)
			}
		}
	}
}

// Easter Day, from the published tables.
func TestEasterSunday(t *testing.T) {
	for _, d := range []string{
		"1961-04-02", "1999-04-04", "2000-04-23", "2008-03-23", "2011-04-24", "2019-04-21",
		"2020-04-12", "2021-04-04", "2022-04-17", "2023-04-09", "2024-03-31", "2025-04-20",
		"2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21", "2038-04-25",
		"2285-03-22",
	} {
		want := mustDate(t, d)
		if got := EasterSunday(want.Year()); !got.Equal(want) {
			t.Errorf("Easter %d: got %s, want %s", want.Year(), got, want)
		}
	}
}

// Properties that hold for any year: holidays fall on weekdays, are in date
// order with no repeats, there are at least eight, and Christmas and Boxing
// Day are always two holidays in the last week of December.
func TestBankHolidayProperties(t *testing.T) {
	for year := 1978; year <= 2200; year++ {
		hs := BankHolidays(year)
		if len(hs) < 8 {
			t.Fatalf("%d: only %d holidays", year, len(hs))
		}
		xmas := 0
		for i, h := range hs {
			if wd := h.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
				t.Errorf("%d: %s (%s) is a %s", year, h.Date, h.Name, wd)
			}
			if h.Date.Year() != year {
				t.Errorf("%d: %s is in another year", year, h.Date)
			}
			if i > 0 && !hs[i-1].Date.Before(h.Date) {
				t.Errorf("%d: %s and %s out of order or repeated", year, hs[i-1].Date, h.Date)
			}
			if h.Date.Month() == time.December && h.Date.Day() >= 25 && h.Date.Day() <= 28 {
				xmas++
			}
		}
		if xmas != 2 {
			t.Errorf("%d: %d Christmas holidays", year, xmas)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	cal := NewCalendar([]Date{mustDate(t, "2025-12-29")}) // an authority's Christmas closure
	for d, want := range map[string]bool{
		"2025-12-24": true,  // Wednesday
		"2025-12-25": false, // Christmas
		"2025-12-26": false, // Boxing Day
		"2025-12-27": false, // Saturday
		"2025-12-29": false, // closure day
		"2025-12-30": true,
		"2026-01-01": false,
		"2026-01-02": true,
		"2023-05-08": false, // coronation
	} {
		if got := cal.IsWorkingDay(mustDate(t, d)); got != want {
			t.Errorf("%s: working day %v, want %v", d, got, want)
		}
	}
	if !NewCalendar(nil).IsWorkingDay(mustDate(t, "2025-12-29")) {
		t.Error("2025-12-29 is a working day without the closure")
	}
}

func TestAddWorkingDays(t *testing.T) {
	cal := NewCalendar(nil)
	for _, c := range []struct {
		from string
		n    int
		want string
	}{
		{"2025-04-14", 5, "2025-04-23"},  // over Good Friday and Easter Monday
		{"2025-04-17", 1, "2025-04-22"},  // Thursday before Easter
		{"2025-12-24", 1, "2025-12-29"},  // over Christmas
		{"2025-12-24", 3, "2025-12-31"},  // 29, 30, 31
		{"2026-12-24", 1, "2026-12-29"},  // Boxing Day substitute on the 28th
		{"2022-09-16", 1, "2022-09-20"},  // over the state funeral
		{"2025-06-06", 0, "2025-06-06"},  // zero is the day itself
		{"2025-06-07", 0, "2025-06-07"},  // even a Saturday
		{"2025-06-07", 1, "2025-06-09"},  // Saturday + 1 is Monday
		{"2025-06-09", 10, "2025-06-23"}, // two clear weeks
		{"2025-06-09", -1, "2025-06-06"}, // counting back
	} {
		got := cal.AddWorkingDays(mustDate(t, c.from), c.n)
		if got.String() != c.want {
			t.Errorf("%s + %d working days = %s, want %s", c.from, c.n, got, c.want)
		}
	}
	closed := NewCalendar([]Date{mustDate(t, "2025-12-29"), mustDate(t, "2025-12-30")})
	if got := closed.AddWorkingDays(mustDate(t, "2025-12-24"), 1); got.String() != "2025-12-31" {
		t.Errorf("with closures: got %s, want 2025-12-31", got)
	}
}

// AddWorkingDays lands on a working day with exactly n working days after d
// up to and including it, and grows with n.
func TestAddWorkingDaysProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cal := NewCalendar([]Date{mustDate(t, "2025-12-29")})
	base := mustDate(t, "2018-01-01")
	for range 2000 {
		d := base.AddDays(r.IntN(365 * 12))
		n := r.IntN(40)
		got := cal.AddWorkingDays(d, n)
		if n > 0 && !cal.IsWorkingDay(got) {
			t.Fatalf("%s + %d = %s, not a working day", d, n, got)
		}
		count := 0
		for x := d.AddDays(1); !x.After(got); x = x.AddDays(1) {
			if cal.IsWorkingDay(x) {
				count++
			}
		}
		if count != n {
			t.Fatalf("%s + %d = %s spans %d working days", d, n, got, count)
		}
		if next := cal.AddWorkingDays(d, n+1); !next.After(got) {
			t.Fatalf("%s: %d -> %s but %d -> %s", d, n, got, n+1, next)
		}
		if back := cal.AddWorkingDays(got, -n); n > 0 && back.After(d) {
			t.Fatalf("%s + %d = %s, back again is %s", d, n, got, back)
		}
	}
}
