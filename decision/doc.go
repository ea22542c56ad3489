// Package decision holds what workflows decide and hand to the writer: the
// activity names, their typed inputs and results, and the domain words both
// sides share (record and due statuses, signature roles, version kinds). It
// has no database dependency, so workflow code never links the database
// layer (see TestWorkflowsDoNotLinkTheDatabase).
package decision
