package decision

import "github.com/securebase/securebase/policy"

// NextPackName is the activity a lifecycle asks, at the start of each run,
// which version of its pack comes next (workflows/packmove.go moves it).
const NextPackName = "NextPack"

// NextPackInput names the version a lifecycle runs under.
type NextPackInput struct {
	Authority string `json:"authority"`
	Version   string `json:"version"`
}

// NextPackResult is the version that follows, nil when none is loaded. Its
// rules' wording is left out: the lifecycle reads the typed blocks, and the
// history keeps only what it reads.
type NextPackResult struct {
	Pack *policy.Pack `json:"pack,omitempty"`
}
