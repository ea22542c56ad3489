package policy

import (
	"encoding/json"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParsePeriod(t *testing.T) {
	for s, want := range map[string]Period{
		"6w": {6, Weeks}, "1mo": {1, Months}, "12mo": {12, Months}, "5wd": {5, WorkingDays},
		"72h": {72, Hours}, "7y": {7, Years}, "0d": {0, Days}, " 3d ": {3, Days}, "06w": {6, Weeks},
	} {
		got, err := ParsePeriod(s)
		if err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for s, msg := range map[string]string{
		"-2w":                    `"-2w" is negative`,
		"2 weeks":                "is not a period",
		"1m":                     "is not a period",
		"w":                      "is not a period",
		"":                       "is not a period",
		"1.5h":                   "is not a period",
		"+2w":                    "is not a period",
		"10000d":                 "too long",
		"99999999999999999999wd": "too long",
	} {
		_, err := ParsePeriod(s)
		if err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParsePeriod(%q) error %v, want %q", s, err, msg)
		}
	}
}

func TestPeriodStringRoundTrip(t *testing.T) {
	for _, s := range []string{"6w", "1mo", "12mo", "5wd", "72h", "7y", "0d", "9999wd"} {
		p, err := ParsePeriod(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != s {
			t.Errorf("%q prints as %q", s, p.String())
		}
	}
	if (Period{}).String() != "0d" || !(Period{}).IsZero() {
		t.Error("the unset period is 0d and zero")
	}
}

func TestPeriodAddTo(t *testing.T) {
	cal := NewCalendar(nil)
	for _, c := range []struct {
		from, period, want string
	}{
		{"2025-09-01", "6w", "2025-10-13"},
		{"2025-09-01", "10d", "2025-09-11"},
		{"2025-01-31", "1mo", "2025-02-28"}, // clamped
		{"2024-01-31", "1mo", "2024-02-29"}, // leap year
		{"2025-08-31", "6mo", "2026-02-28"},
		{"2024-02-29", "1y", "2025-02-28"},
		{"2025-09-01", "12mo", "2026-09-01"},
		{"2025-04-17", "5wd", "2025-04-28"}, // over Easter
		{"2025-06-02", "72h", "2025-06-05"},
		{"2025-06-02", "1h", "2025-06-03"}, // hours round up to a day
		{"2025-06-02", "24h", "2025-06-03"},
		{"2025-06-02", "25h", "2025-06-04"},
		{"2025-06-02", "0d", "2025-06-02"},
	} {
		p, _ := ParsePeriod(c.period)
		if got := p.AddTo(mustDate(t, c.from), cal); got.String() != c.want {
			t.Errorf("%s + %s = %s, want %s", c.from, c.period, got, c.want)
		}
	}
	// A nil calendar still counts bank holidays.
	p, _ := ParsePeriod("1wd")
	if got := p.AddTo(mustDate(t, "2025-12-24"), nil); got.String() != "2025-12-29" {
		t.Errorf("nil calendar: got %s", got)
	}
}

func TestPeriodYAMLAndJSON(t *testing.T) {
	var v struct {
		Every Period `yaml:"every"`
	}
	if err := yaml.Unmarshal([]byte("every: 2w\n"), &v); err != nil || v.Every != (Period{2, Weeks}) {
		t.Fatalf("got %v, %v", v.Every, err)
	}
	out, _ := yaml.Marshal(v)
	if string(out) != "every: 2w\n" {
		t.Errorf("YAML %q", out)
	}
	err := yaml.Unmarshal([]byte("every:\n  n: 2\n"), &v)
	if err == nil || !strings.Contains(err.Error(), "line 2: column 3: a period is written as a string") {
		t.Errorf("a mapping is not a period: %v", err)
	}
	// JSON keeps the structured form: workflows receive it in their input.
	j, _ := json.Marshal(Period{6, Weeks})
	if string(j) != `{"n":6,"unit":"w"}` {
		t.Errorf("JSON %s", j)
	}
}
