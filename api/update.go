package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// update sends a Temporal Update to a lifecycle and waits for its result.
// The update ID is the request id plus a digest of what was asked, so a
// retried identical request gets the first answer back from Temporal, while
// the same request id with a different body reaches the workflow's
// validator and is refused there (409). A lifecycle that is not running is
// a 409 too: there is nothing to act on.
func (s *Server) update(c *gin.Context, workflowID, update, requestID string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(append([]byte(update+"\x00"), body...))
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Wait)
	defer cancel()
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateName:   update,
		UpdateID:     requestID + ":" + hex.EncodeToString(sum[:8]),
		Args:         []any{in},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, out)
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return &httpError{status: http.StatusConflict, body: ErrorBody{Error: fmt.Sprintf("%s is not running: %s", workflowID, notFound.Message)}, notRunning: true}
	}
	return err
}

// notRunning says whether err is an update that found no running lifecycle.
func notRunning(err error) bool {
	var he *httpError
	return errors.As(err, &he) && he.notRunning
}

// send is how a handler acts on a lifecycle: refuse the request's field
// problems (422) first, then find the lifecycle (lifecycle says which, or
// why there is none), send the update and answer 200 with its result.
func (s *Server) send(c *gin.Context, k *checks, lifecycle func(*gin.Context) (string, error), update string, in, out any) (int, any, error) {
	if err := k.err(); err != nil {
		return 0, nil, err
	}
	id, err := lifecycle(c)
	if err != nil {
		return 0, nil, err
	}
	if err := s.update(c, id, update, k.requestID, in, out); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// known is a lifecycle already found.
func known(id string) func(*gin.Context) (string, error) {
	return func(*gin.Context) (string, error) { return id, nil }
}

// query asks a lifecycle by query and decodes the answer into out. A
// lifecycle that never started is a 404 naming what; a caller for whom that
// means "nothing yet" tests isNotFound.
func (s *Server) query(ctx context.Context, what, workflowID, queryName string, out any) error {
	v, err := s.Temporal.QueryWorkflow(ctx, workflowID, "", queryName)
	if isNotFound(err) {
		nf := notFound(what)
		nf.cause = err
		return nf
	}
	if err != nil {
		return err
	}
	return v.Get(out)
}

func isNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}
