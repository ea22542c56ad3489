package policy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Which tests name which rules: the "test" column of `policy table`, and
// the check that every enforced rule has a test (engine_test.go).

var (
	ruleIDRef = regexp.MustCompile(`\b[A-Z]{1,2}-[A-Z]+-\d+\b`)
	testFunc  = regexp.MustCompile(`(?m)^func (Test\w+)\(`)
)

// TestsNamingRules maps each rule id to the tests ("pkg.TestName") whose
// body names it.
func TestsNamingRules(root string) (map[string][]string, error) {
	out := map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		text := string(b)
		pkg := filepath.Base(filepath.Dir(path))
		starts := testFunc.FindAllStringSubmatchIndex(text, -1)
		for i, s := range starts {
			end := len(text)
			if i+1 < len(starts) {
				end = starts[i+1][0]
			}
			name := pkg + "." + text[s[2]:s[3]]
			for _, id := range ruleIDRef.FindAllString(text[s[0]:end], -1) {
				if !slices.Contains(out[id], name) {
					out[id] = append(out[id], name)
				}
			}
		}
		return nil
	})
	return out, err
}
