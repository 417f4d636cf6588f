package cluster

import (
	"context"
	"sync/atomic"

	"k8s.io/client-go/rest"
)

// Warnings counts the warnings (HTTP Warning headers) the API server sent
// with the responses to requests made with a context of CollectWarnings: a
// dry run with the server's default field validation (Warn) reports unknown
// and duplicate fields as warnings, where a strict one fails.
type Warnings struct {
	count atomic.Int64
}

// Count is the number of warnings received so far.
func (w *Warnings) Count() int64 { return w.count.Load() }

type warningsKey struct{}

// CollectWarnings returns a context whose requests to a Cluster count their
// warnings into the returned Warnings.
func CollectWarnings(ctx context.Context) (context.Context, *Warnings) {
	w := &Warnings{}
	return context.WithValue(ctx, warningsKey{}, w), w
}

// warningHandler counts a response's warnings into its request's Warnings,
// if any, and passes them on to next (client-go's default: they are logged).
type warningHandler struct {
	next rest.WarningHandlerWithContext
}

func (h warningHandler) HandleWarningHeaderWithContext(ctx context.Context, code int, agent string, text string) {
	if w, ok := ctx.Value(warningsKey{}).(*Warnings); ok {
		w.count.Add(1)
	}
	h.next.HandleWarningHeaderWithContext(ctx, code, agent, text)
}

// collectWarnings makes config's clients count warnings (CollectWarnings).
func collectWarnings(config *rest.Config) {
	var next rest.WarningHandlerWithContext = rest.WarningLogger{}
	switch {
	case config.WarningHandlerWithContext != nil:
		next = config.WarningHandlerWithContext
	case config.WarningHandler != nil:
		next = legacyWarningHandler{config.WarningHandler}
	}
	config.WarningHandlerWithContext = warningHandler{next: next}
}

// legacyWarningHandler is a WarningHandler without a context.
type legacyWarningHandler struct{ handler rest.WarningHandler }

func (l legacyWarningHandler) HandleWarningHeaderWithContext(_ context.Context, code int, agent string, text string) {
	l.handler.HandleWarningHeader(code, agent, text)
}
