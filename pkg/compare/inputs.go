package compare

import (
	"context"
	"errors"
	"hash/fnv"
	"strings"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/target"
)

// RevisionResolver is a TargetSource that also resolves an Application's
// revisions without rendering them (*target.Source is one).
type RevisionResolver interface {
	Revisions(ctx context.Context, app *v1alpha1.Application, opts target.Options) (string, []string, error)
}

// Inputs are what a comparison read besides the Application's spec, its
// project and its live objects: the revisions its sources resolved to, the
// destination cluster and the versions it serves, and the settings in force
// (system-level ignore rules, health customizations). A comparison made from
// the same Inputs, spec, project and live objects gives the same result:
// the Application controller's periodic refresh compares again only when one
// of them changed (see Controller.quiet).
type Inputs struct {
	// Revisions are the resolved revisions, joined.
	Revisions string
	// Destination is the cluster compared against: a cluster whose Secret
	// changed is a new one.
	Destination *cluster.Cluster
	// Versions fingerprints the Kubernetes version and API versions the
	// destination served.
	Versions uint64
	// Settings is the settings' generation (Comparer.SettingsGeneration).
	Settings uint64
}

// errNoResolver says that the TargetSource cannot resolve revisions alone.
var errNoResolver = errors.New("the target source does not resolve revisions without rendering")

// Inputs resolves what a comparison of app with opts would read besides its
// spec, project and live objects, without rendering or reading live objects.
// It costs no request while the shared ref listings and chart indexes are
// fresh. An error means the inputs are unknown: compare.
func (c *Comparer) Inputs(ctx context.Context, app *v1alpha1.Application, opts Options) (Inputs, error) {
	resolver, ok := c.Targets.(RevisionResolver)
	if !ok {
		return Inputs{}, errNoResolver
	}
	inputs := Inputs{Settings: c.settingsGeneration()}
	destination, err := c.Destination(app, opts.Project)
	if err != nil {
		return Inputs{}, err
	}
	if err := destination.Reachable(ctx); err != nil {
		return Inputs{}, err
	}
	kubeVersion, apiVersions, err := destination.Versions()
	if err != nil {
		return Inputs{}, err
	}
	inputs.Destination, inputs.Versions = destination, versionsFingerprint(kubeVersion, apiVersions)
	revision, revisions, err := resolver.Revisions(ctx, app, targetOptions(kubeVersion, apiVersions, opts))
	if err != nil {
		return Inputs{}, err
	}
	inputs.Revisions = joinRevisions(revision, revisions)
	return inputs, nil
}

// inputsOf are the Inputs of a comparison that rendered desired against
// destination, under the settings generation read when it started.
func inputsOf(destination *cluster.Cluster, kubeVersion string, apiVersions []string, desired *target.Target, settings uint64) Inputs {
	return Inputs{
		Revisions:   joinRevisions(desired.Revision, desired.Revisions),
		Destination: destination,
		Versions:    versionsFingerprint(kubeVersion, apiVersions),
		Settings:    settings,
	}
}

func (c *Comparer) settingsGeneration() uint64 {
	if c.SettingsGeneration == nil {
		return 0
	}
	return c.SettingsGeneration()
}

func joinRevisions(revision string, revisions []string) string {
	if len(revisions) == 0 {
		return revision
	}
	return "[" + strings.Join(revisions, ",") + "]"
}

func versionsFingerprint(kubeVersion string, apiVersions []string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(kubeVersion))
	for _, version := range apiVersions {
		_, _ = h.Write([]byte{0})
		_, _ = h.Write([]byte(version))
	}
	return h.Sum64()
}
