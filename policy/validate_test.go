package policy

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
)

const packName = "packs/cumberland.yaml"

func cumberland(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(packName)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// lineOf is the line on which marker first appears.
func lineOf(t testing.TB, text, marker string) int {
	t.Helper()
	i := strings.Index(text, marker)
	if i < 0 {
		t.Fatalf("marker %q not in the pack", marker)
	}
	return strings.Count(text[:i], "\n") + 1
}

// edit is a change to the Cumberland pack. at marks the line the error is
// reported on (found in the changed text); want is what follows "file:line: ".
type edit struct {
	name     string
	old, new string
	at       string
	want     string
}

func (e edit) apply(t testing.TB, text string) string {
	t.Helper()
	if !strings.Contains(text, e.old) {
		t.Fatalf("%s: %q not in the pack", e.name, e.old)
	}
	return strings.Replace(text, e.old, e.new, 1)
}

func TestValidationRejects(t *testing.T) {
	base := cumberland(t)
	for _, e := range []edit{
		{name: "unknown key in a block",
			old: "  programme: ASYE\n", new: "  programme: ASYE\n  colour: blue\n",
			at: "colour", want: "asye.colour: unknown key"},
		{name: "unknown key in a rule",
			old: "  - id: C-PS-2\n    section: 1\n", new: "  - id: C-PS-2\n    section: 1\n    sayz: hello\n",
			at: "sayz", want: "rule C-PS-2: sayz: unknown key"},
		{name: "unknown top-level key",
			old: "name: Cumberland Council\n", new: "name: Cumberland Council\nowner: me\n",
			at: "owner", want: "owner: unknown key"},
		{name: "unknown key in a flow mapping",
			old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 6w, to: 6mo, every: 2w, evry: 2w, rule: C-ASYE-3}",
			at: "{from: 6w, to: 6mo", want: "rule C-ASYE-3: evry: unknown key"},
		{name: "missing interval",
			old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 6w, to: 6mo, rule: C-ASYE-3}",
			at: "{from: 6w, to: 6mo", want: "rule C-ASYE-3: every: is missing"},
		{name: "negative interval",
			old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 6w, to: 6mo, every: -2w, rule: C-ASYE-3}",
			at: "{from: 6w, to: 6mo", want: `rule C-ASYE-3: every: "-2w" is negative`},
		{name: "negative interval in a typed block",
			old: "{role: default, every: 4w, rule: C-PS-1}", new: "{role: default, every: \"-4w\", rule: C-PS-1}",
			at: "{role: default", want: `rule C-PS-1: every: "-4w" is negative`},
		{name: "zero interval",
			old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 6w, to: 6mo, every: 0w, rule: C-ASYE-3}",
			at: "{from: 6w, to: 6mo", want: `rule C-ASYE-3: every: "0w" must be more than zero`},
		{name: "zero case cadence",
			old: "{category: child_in_need, every: 4w, rule: C-CS-3}", new: "{category: child_in_need, every: 0d, rule: C-CS-3}",
			at: "{category: child_in_need", want: `rule C-CS-3: every: "0d" must be more than zero`},
		{name: "not a period",
			old: "  length: 12mo\n", new: "  length: 12 months\n",
			at: "  length:", want: `asye.length: "12 months" is not a period`},
		{name: "zero length",
			old: "  length: 12mo\n", new: "  length: 0mo\n",
			at: "  length:", want: `asye.length: "0mo" must be more than zero`},
		{name: "overlapping phases",
			old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 5w, to: 6mo, every: 2w, rule: C-ASYE-3}",
			at: "{from: 5w", want: `rule C-ASYE-3: from: "5w" overlaps the previous phase, which ends at "6w"`},
		{name: "gapped phases",
			old: "{from: 6mo, every: 1mo, rule: C-ASYE-4}", new: "{from: 7mo, every: 1mo, rule: C-ASYE-4}",
			at: "{from: 7mo", want: `rule C-ASYE-4: from: "7mo" leaves a gap after the previous phase, which ends at "6mo"`},
		{name: "first phase not at the start",
			old: "{from: 0d, to: 6w, every: 1w, rule: C-ASYE-2}", new: "{from: 1w, to: 6w, every: 1w, rule: C-ASYE-2}",
			at: "{from: 1w", want: `rule C-ASYE-2: from: "1w": the first phase starts at the programme start, 0d`},
		{name: "phase beyond the programme",
			old: "{from: 6mo, every: 1mo, rule: C-ASYE-4}", new: "{from: 6mo, to: 13mo, every: 1mo, rule: C-ASYE-4}",
			at: "{from: 6mo", want: `rule C-ASYE-4: to: "13mo": the last phase runs to the programme end (12mo)`},
		{name: "review beyond the programme",
			old: "{name: 12-month, at: 12mo, rule: C-ASYE-7}", new: "{name: 12-month, at: 13mo, rule: C-ASYE-7}",
			at: "{name: 12-month", want: `rule C-ASYE-7: at: "13mo" is beyond the programme length 12mo`},
		{name: "reviews out of order",
			old: "{name: 3-month, at: 3mo, rule: C-ASYE-7}", new: "{name: 3-month, at: 7mo, rule: C-ASYE-7}",
			at: "{name: 6-month", want: `rule C-ASYE-6: at: "6mo" comes before the previous review (7mo)`},
		{name: "unknown authority",
			old: "authority: cumberland\n", new: "authority: cumbria\n",
			at: "authority:", want: `authority: unknown authority "cumbria": the known authorities are bolton, bracknell-forest, cumberland, plymouth, surrey`},
		{name: "duplicate rule id",
			old: "  - id: C-PS-2\n", new: "  - id: C-PS-1\n",
			at:   "  - id: C-PS-1\n    section: 1\n    source: \"§3 'Personal supervision frequency' table, 'Social",
			want: fmt.Sprintf("rule C-PS-1: id: duplicate rule id (first at line %d)", lineOf(t, base, "  - id: C-PS-1"))},
		{name: "asye references a missing rule",
			old: "{from: 0d, to: 6w, every: 1w, rule: C-ASYE-2}", new: "{from: 0d, to: 6w, every: 1w, rule: C-ASYE-99}",
			at: "rule: C-ASYE-99", want: `asye.phases[0].rule: "C-ASYE-99" is not a rule of this pack`},
		{name: "typed block references a missing rule",
			old: "  renew_every: {period: 1y, rule: C-AG-1}", new: "  renew_every: {period: 1y, rule: C-AG-9}",
			at: "rule: C-AG-9", want: `agreement.renew_every.rule: "C-AG-9" is not a rule of this pack`},
		{name: "typed value without a rule",
			old: "sign_off:\n  within: 5wd\n  owed_by: supervisor\n  rule: C-REC-1\n", new: "sign_off:\n  within: 5wd\n  owed_by: supervisor\n",
			at: "sign_off:", want: "sign_off.rule: is missing: name the rule that gives this value"},
		{name: "rule the engine reads is not enforced",
			old: "    says: \"After the first 6 weeks, supervision is fortnightly up to the 6-month review.\"\n    engine: enforced",
			new: "    says: \"After the first 6 weeks, supervision is fortnightly up to the 6-month review.\"\n    engine: not_yet",
			at:  "    engine: not_yet\n  - id: C-ASYE-4", want: `rule C-ASYE-3: engine: "not_yet", but the asye block (asye.phases[1].rule) uses this rule`},
		{name: "unknown engine status",
			old: "    engine: enforced\n  - id: C-PS-2", new: "    engine: maybe\n  - id: C-PS-2",
			at: "engine: maybe", want: `rule C-PS-1: engine: "maybe": write enforced or not_yet`},
		{name: "section out of range",
			old: "  - id: C-PS-2\n    section: 1\n", new: "  - id: C-PS-2\n    section: 11\n",
			at: "section: 11", want: "rule C-PS-2: section: 11 is not a section of the policy matrix (1 to 10)"},
		{name: "bad rule id",
			old: "  - id: C-PS-2\n", new: "  - id: c ps 2\n",
			at: "id: c ps 2", want: `rules[1].id: "c ps 2" is not a rule id like C-ASYE-1`},
		{name: "rule says nothing",
			old: "    says: \"Social work students are supervised weekly, then fortnightly from a point agreed by the practice educator and the student.\"\n",
			new: "    says: \"\"\n",
			at:  "says: \"\"", want: "rule C-PS-2: says: is missing"},
		{name: "bad date",
			old: "effective_from: 2023-04-01\n", new: "effective_from: 2023-13-01\n",
			at: "effective_from:", want: `effective_from: "2023-13-01" is not a date in the form YYYY-MM-DD`},
		{name: "end before start",
			old: "effective_from: 2023-04-01\n", new: "effective_from: 2023-04-01\neffective_to: 2023-03-01\n",
			at: "effective_to:", want: "effective_to: 2023-03-01 is before effective_from 2023-04-01"},
		{name: "wrong type",
			old: "  max_session_minutes: 90\n", new: "  max_session_minutes: ninety\n",
			at: "max_session_minutes", want: "asye.max_session_minutes: cannot unmarshal !!str `ninety` into int"},
		{name: "session range",
			old: "  min_session_minutes: 0\n", new: "  min_session_minutes: 120\n",
			at: "min_session_minutes", want: "rule C-ASYE-5: asye.min_session_minutes: 120 is more than max_session_minutes 90"},
		{name: "missing asye block",
			old: "asye:\n  programme: ASYE\n", new: "asye_old:\n  programme: ASYE\n",
			at: "asye_old:", want: "asye_old: unknown key"},
		{name: "missing extension cap",
			old: "  extension_cap: 3mo\n", new: "",
			at: "asye:", want: "rule C-ASYE-12: asye.extension_cap: is missing (write 0d if the programme is never extended)"},
		{name: "pause reason both ways",
			old: "forbidden: [annual_leave, workload, performance]", new: "forbidden: [annual_leave, sickness]",
			at: "forbidden: [annual_leave, sickness]", want: `rule C-ASYE-11: forbidden[1]: "sickness" is already listed under allowed`},
		{name: "unknown role",
			old: "{role: default, every: 4w, rule: C-PS-1}", new: "{role: everyone, every: 4w, rule: C-PS-1}",
			at: "{role: everyone", want: `rule C-PS-1: role: "everyone" is not a role`},
		{name: "sign-off owed by nobody the seed names",
			old: "  owed_by: supervisor\n", new: "  owed_by: manager\n",
			at: "owed_by:", want: `rule C-REC-1: sign_off.owed_by: "manager": the deadline is owed by supervisor or both`},
		{name: "sign-off both ways",
			old: "  within: 5wd\n  owed_by: supervisor\n", new: "  within: 5wd\n  by: next_session\n  owed_by: supervisor\n",
			at: "sign_off:", want: "rule C-REC-1: sign_off: give within (a period) or by: next_session, one of them"},
		{name: "case category both ways",
			old: "{category: letter_box_birth_records, as_required: true, rule: C-CS-14}", new: "{category: letter_box_birth_records, as_required: true, every: 4w, rule: C-CS-14}",
			at: "{category: letter_box", want: "rule C-CS-14: categories[14]: give one of every (a period), once: true or as_required: true"},
		{name: "unknown record kind",
			old: "{what: child_file, within: 72h, rule: C-REC-2}", new: "{what: file, within: 72h, rule: C-REC-2}",
			at: "{what: file", want: `rule C-REC-2: what: "file" is not a kind of record`},
		{name: "yaml syntax",
			old: "  programme: ASYE\n", new: "  programme: [ASYE\n",
			at: "asye:\n", want: "did not find expected ',' or ']'"}, // yaml reports the block's line
		{name: "second document",
			old: "rules:\n", new: "rules:\n", // unchanged; a document is appended below
			at: "", want: "a file holds one pack"},
	} {
		t.Run(e.name, func(t *testing.T) {
			text := e.apply(t, base)
			if e.name == "second document" {
				text += "---\nauthority: bolton\n"
			}
			_, err := ReadPack(packName, []byte(text))
			if err == nil {
				t.Fatal("accepted")
			}
			want := packName + ": " + e.want
			if e.at != "" {
				want = fmt.Sprintf("%s:%d: %s", packName, lineOf(t, text, e.at), e.want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error:\n%v\nwant it to contain:\n%s", err, want)
			}
		})
	}
}

// Every problem in a file is reported, not just the first.
func TestValidateReportsEveryProblem(t *testing.T) {
	text := cumberland(t)
	for _, e := range []edit{
		{old: "authority: cumberland\n", new: "authority: cumbria\n"},
		{old: "{from: 6w, to: 6mo, every: 2w, rule: C-ASYE-3}", new: "{from: 6w, to: 6mo, every: -2w, rule: C-ASYE-3}"},
		{old: "{role: default, every: 4w, rule: C-PS-1}", new: "{role: default, every: 4w, rule: C-PS-1, colour: red}"},
		{old: "  programme: ASYE\n", new: "  programme: ASYE\n  colour: blue\n"},
	} {
		text = e.apply(t, text)
	}
	dir := t.TempDir()
	bad := dir + "/bad.yaml"
	if err := os.WriteFile(bad, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// Decoding problems come first; with them fixed, the rest is checked.
	err := ValidateFiles(bad, "packs/bolton.yaml")
	wantErr(t, err, `rule C-ASYE-3: every: "-2w" is negative`, "rule C-PS-1: colour: unknown key", "asye.colour: unknown key")
	if n := len(strings.Split(err.Error(), "\n")); n != 3 {
		t.Errorf("%d problems:\n%v", n, err)
	}
	var pr *Problem
	if !errors.As(err, &pr) || pr.File != bad || pr.Line == 0 {
		t.Errorf("problems are *Problem with file and line: %#v", pr)
	}

	text = strings.Replace(text, "every: -2w", "every: 2w", 1)
	text = strings.Replace(text, ", colour: red", "", 1)
	text = strings.Replace(text, "  colour: blue\n", "", 1)
	text = strings.Replace(text, "{name: 12-month, at: 12mo", "{name: 12-month, at: 2y", 1)
	wantErr(t, errors.Join(err, func() error { _, err := ReadPack("second.yaml", []byte(text)); return err }()),
		`second.yaml:3: authority: unknown authority "cumbria"`, `rule C-ASYE-7: at: "2y" is beyond the programme length 12mo`)
}

// Lengths in different units compare by what they mean.
func TestPeriodComparison(t *testing.T) {
	p := func(s string) Period { v, _ := ParsePeriod(s); return v }
	for _, c := range []struct {
		a, b         string
		same, longer bool
	}{
		{"1w", "7d", true, false}, {"1y", "12mo", true, false}, {"13mo", "1y", false, true},
		{"6w", "1mo", false, true}, {"4w", "1mo", false, false}, {"366d", "12mo", false, true}, {"52w", "1y", false, false},
	} {
		if got := sameLength(p(c.a), p(c.b)); got != c.same {
			t.Errorf("same(%s, %s) = %v", c.a, c.b, got)
		}
		if got := longer(p(c.a), p(c.b)); got != c.longer {
			t.Errorf("longer(%s, %s) = %v", c.a, c.b, got)
		}
	}
}
