package render

import (
	"errors"
	"fmt"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Sentinel errors, checked with errors.Is, for the refusals a controller
// reports differently from ordinary tool failures.
var (
	// ErrInvalidPath is returned for a source path that is absolute or
	// contains "..".
	ErrInvalidPath = errors.New("invalid path")
	// ErrOutsideRepository is returned when a value file, Jsonnet import or
	// library, chart dependency or Kustomize file resolves outside the repository.
	ErrOutsideRepository = errors.New("path leaves the repository")
	// ErrRemoteBase is returned for a Kustomize remote base or remote file
	// while remote bases are not allowed.
	ErrRemoteBase = errors.New("kustomize remote bases are not allowed")
	// ErrRemoteValueFile is returned for a Helm value file given as a URL; the
	// renderer never fetches over the network.
	ErrRemoteValueFile = errors.New("remote Helm value files are not supported")
	// ErrTooLarge is returned when the rendered manifests exceed
	// Options.MaxManifestBytes.
	ErrTooLarge = errors.New("rendered manifests too large")
	// ErrTimeout is returned when a render exceeds Options.Timeout.
	ErrTimeout = errors.New("render timed out")
	// ErrTooManyRenders is returned when no render slot
	// (Options.MaxConcurrentRenders) became free within Options.Timeout.
	ErrTooManyRenders = errors.New("too many renders in progress")
	// ErrFailureRemembered marks an error answered from the memory of failed
	// renders, without rendering; errors.Is also finds the original reason.
	ErrFailureRemembered = errors.New("render failure remembered")
	// ErrPluginUnsupported is returned for sources that need a config
	// management plugin.
	ErrPluginUnsupported = errors.New("config management plugins are not supported")
	// ErrNotFound is returned when the source path or a required file does not exist.
	ErrNotFound = errors.New("not found")
	// ErrMissingDependency is returned when a Helm chart dependency is neither
	// in charts/ nor obtainable through the HelmDependencyFetcher.
	ErrMissingDependency = errors.New("missing Helm chart dependency")
	// ErrExternalSchema is returned for a Helm values.schema.json that refers
	// to a schema outside itself (a file, a URL, another document): schemas
	// are never loaded from the server's disk or the network.
	ErrExternalSchema = errors.New("Helm values schema refers outside the chart")
)

// Error is a failed render: which tool, which path or chart, at which revision,
// and the tool's own message (which carries file and line when the tool gives
// them). Use errors.Is on it to find the sentinel reasons above.
type Error struct {
	// SourceType is the tool that failed; empty when the failure happened
	// before the tool was chosen.
	SourceType v1alpha1.ApplicationSourceType
	// Path is the source path, or the chart name for Helm repository sources.
	Path string
	// Revision is the commit SHA or chart version rendered.
	Revision string
	// Err is the underlying failure.
	Err error
}

// Error reads like `render helm chart "guestbook" at 3f2a1c9: template: ...`.
func (e *Error) Error() string {
	what := "source"
	switch e.SourceType {
	case v1alpha1.ApplicationSourceTypeHelm:
		what = "helm chart"
	case v1alpha1.ApplicationSourceTypeKustomize:
		what = "kustomization"
	case v1alpha1.ApplicationSourceTypeDirectory:
		what = "directory"
	case v1alpha1.ApplicationSourceTypePlugin:
		what = "plugin source"
	}
	path := e.Path
	if path == "" {
		path = "."
	}
	if e.Revision == "" {
		return fmt.Sprintf("render %s %q: %v", what, path, e.Err)
	}
	return fmt.Sprintf("render %s %q at %s: %v", what, path, shortRevision(e.Revision, 7), e.Err)
}

// Unwrap returns the underlying failure.
func (e *Error) Unwrap() error { return e.Err }
