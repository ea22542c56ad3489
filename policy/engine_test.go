package policy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The packs describe the engine: every rule the engine applies is labelled
// enforced and a test names it; every rule labelled enforced is applied;
// not_yet means nothing in the engine reads it. Validation refuses a pack
// that breaks the first two (checkEngineLabels); this test also wants, for
// every enforced rule, a test somewhere in the repository that names it.
func TestPacksDescribeTheEngine(t *testing.T) {
	named := testedRuleIDs(t)
	var noTestNamesYet []string
	for _, l := range strings.Split(string(mustRead(t, "testdata/untested-rules.txt")), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			noTestNamesYet = append(noTestNamesYet, l)
		}
	}
	for _, p := range loadAll(t).Packs() {
		used := p.EngineRules()
		for _, r := range p.Rules {
			keys, read := used[r.ID]
			switch {
			case r.Engine == Enforced && !read:
				t.Errorf("%s %s is enforced but the engine reads it from nowhere", p.Authority, r.ID)
			case r.Engine != Enforced && read:
				t.Errorf("%s %s is %s but the engine reads it from %v", p.Authority, r.ID, r.Engine, keys)
			case r.Engine == Enforced && !named[r.ID] && !slices.Contains(noTestNamesYet, r.ID):
				t.Errorf("%s %s is enforced but no test names it", p.Authority, r.ID)
			case named[r.ID] && slices.Contains(noTestNamesYet, r.ID):
				t.Errorf("%s %s is named by a test now: take it off testdata/untested-rules.txt", p.Authority, r.ID)
			}
		}
	}
}

// testedRuleIDs are the rule ids named in the repository's *_test.go files.
func testedRuleIDs(t *testing.T) map[string]bool {
	t.Helper()
	tests, err := TestsNamingRules("..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for id := range tests {
		out[id] = true
	}
	return out
}

// Today's mislabels (issue 12, item 6) are refused, and so is a source that
// is not a seed.
func TestValidateRefusesMislabelledRules(t *testing.T) {
	base := cumberland(t)
	for _, e := range []edit{
		{name: "a rule the engine reads, labelled not_yet",
			old: "managers included.\"\n    engine: enforced", new: "managers included.\"\n    engine: not_yet",
			at: "    engine: not_yet\n  - id: C-PS-2", want: `rule C-PS-1: engine: "not_yet", but the engine applies this rule (personal_supervision.cadence): write enforced`},
		{name: "an enforced rule nothing reads",
			old: "(no amount of time is given).\"\n    engine: not_yet\n  - id: C-ASYE-10",
			new: "(no amount of time is given).\"\n    engine: enforced\n  - id: C-ASYE-10",
			at:  "engine: enforced\n  - id: C-ASYE-10", want: "rule C-ASYE-9: engine: enforced, but no block the engine reads cites this rule"},
		{name: "the monthly report's rule, with no report block",
			old: "monthly_report: {rule: C-QA-4}\n", new: "",
			at: "    engine: enforced\n  - id: C-QA-5", want: "rule C-QA-4: engine: enforced, but no block the engine reads cites this rule"},
		{name: "an unknown behaviour",
			old: "    engine: not_yet\n  - id: C-ASYE-10", new: "    engine: not_yet\n    applied_by: telepathy\n  - id: C-ASYE-10",
			at: "applied_by: telepathy", want: `rule C-ASYE-9: applied_by: "telepathy" is not a behaviour of the engine`},
		{name: "a source that is no seed",
			old: "file: 000_f38a2d5076e6f828.txt", new: "file: cumberland-framework.pdf",
			at: "file: cumberland-framework.pdf", want: `source.file: "cumberland-framework.pdf" is not one of the seed policies: 000_f38a2d5076e6f828.txt (cumberland)`},
		{name: "another authority's seed",
			old: "file: 000_f38a2d5076e6f828.txt", new: "file: 004_4c1307218f659d14.txt",
			at: "file: 004_4c1307218f659d14.txt", want: `source.file: "004_4c1307218f659d14.txt" is bolton's policy, not cumberland's`},
	} {
		t.Run(e.name, func(t *testing.T) {
			if !strings.Contains(base, e.old) {
				t.Fatalf("the pack no longer has %q", e.old)
			}
			text := strings.Replace(base, e.old, e.new, 1)
			_, err := ReadPack(packName, []byte(text))
			wantErr(t, err, fmt.Sprintf("%s:%d: %s", packName, lineOf(t, text, e.at), e.want))
		})
	}
}
