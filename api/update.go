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
