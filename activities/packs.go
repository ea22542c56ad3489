package activities

import (
	"context"
)

// NextPack reads the worker's loaded packs, so a council's own (--packs)
// are the ones a running lifecycle moves to.
func (a Activities) NextPack(_ context.Context, in NextPackInput) (NextPackResult, error) {
	if a.Packs == nil {
		return NextPackResult{}, nil
	}
	next := a.Packs.After(in.Authority, in.Version)
	if next == nil {
		return NextPackResult{}, nil
	}
	p := *next
	p.Rules = nil
	return NextPackResult{Pack: &p}, nil
}
