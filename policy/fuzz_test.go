package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// FuzzLoadPack feeds pack loading arbitrary files. It must never panic; a
// rejected file's every problem names the file; an accepted pack plans,
// describes itself and survives the JSON trip into a workflow.
func FuzzLoadPack(f *testing.F) {
	// The committed corpus (testdata/fuzz/FuzzLoadPack) holds small packs:
	// the fuzzer mutates small inputs far faster than the full packs, which
	// the other tests load anyway.
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ReadPack("fuzz.yaml", data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("problem without its file: %q", line)
				}
			}
			return
		}
		start := NewDate(2025, 9, 1)
		cal := p.Calendar()
		items := p.ASYE.Plan(start, 50, cal)
		for i := 1; i < len(items); i++ {
			if items[i].Due.Before(items[i-1].Due) {
				t.Fatalf("plan out of order: %v", items)
			}
		}
		_ = p.Describe()
		b, err := json.Marshal(p.ASYE)
		if err != nil {
			t.Fatal(err)
		}
		var back ASYE
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, p.ASYE) {
			t.Fatalf("JSON round trip: %v\n%+v\n%+v", err, back, p.ASYE)
		}
	})
}
