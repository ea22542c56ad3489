package activities_test

import (
	"context"
	"testing"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// NextPack answers from the worker's loaded packs: the version after the
// one named, its typed blocks without the rules' wording; nothing with no
// packs or no later version.
func TestNextPackIsTheVersionAfter(t *testing.T) {
	reg, err := policy.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	res, err := activities.Activities{Packs: reg}.NextPack(ctx, activities.NextPackInput{Authority: "bolton", Version: "2025.1"})
	if err != nil || res.Pack == nil || res.Pack.Version != "2027.1" || res.Pack.EffectiveFrom.String() != "2027-09-01" {
		t.Fatalf("next after bolton 2025.1: %+v, %v", res.Pack, err)
	}
	if res.Pack.Rules != nil || res.Pack.PersonalSupervision == nil || res.Pack.Transition == nil {
		t.Errorf("the pack sent: rules %d, personal supervision %v, transition %v", len(res.Pack.Rules), res.Pack.PersonalSupervision, res.Pack.Transition)
	}
	if loaded, _ := reg.Version("bolton", "2027.1"); len(loaded.Rules) == 0 {
		t.Error("the registry's own pack lost its rules")
	}
	for _, a := range []activities.Activities{{Packs: reg}, {}} {
		if res, err := a.NextPack(ctx, activities.NextPackInput{Authority: "bolton", Version: "2027.1"}); err != nil || res.Pack != nil {
			t.Errorf("after the last version: %+v, %v", res.Pack, err)
		}
	}
}
