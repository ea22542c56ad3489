package workflows

import (
	"context"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/securebase/securebase/activities"
	"github.com/securebase/securebase/policy"
)

// servePacks answers NextPack in env from the packs packs returns (nil, or
// a nil func: no later version is loaded, so no lifecycle moves).
func servePacks(env *testsuite.TestWorkflowEnvironment, packs func() *policy.Registry) {
	env.RegisterActivityWithOptions(func(ctx context.Context, in activities.NextPackInput) (activities.NextPackResult, error) {
		var reg *policy.Registry
		if packs != nil {
			reg = packs()
		}
		return activities.Activities{Packs: reg}.NextPack(ctx, in)
	}, activity.RegisterOptions{Name: activities.NextPackName})
}

// movePacks are the built-in packs and a council's own new version of
// Cumberland's (testdata/packmove), in force from 1 March 2027.
var movePacks = func() *policy.Registry {
	r, err := policy.LoadWith("testdata/packmove")
	if err != nil {
		panic(err)
	}
	return r
}()

func TestMovePacksLoad(t *testing.T) {
	p, err := movePacks.Pack("cumberland", date(t, "2027-03-01"))
	if err != nil || p.Version != "2026.2" {
		t.Fatal(p, err)
	}
}
