package application

import (
	"context"

	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/compare"
)

// The periodic refresh exists for what no event reports: a new commit on a
// branch without a webhook, an object created outside Capstan where a
// target is Missing, a namespace's orphaned resources. Everything else that
// can change a comparison is an event the controller sees — a change of the
// Application, of its project, of one of its tracked objects, the end of an
// operation — and each of them bumps the Application's epoch and queues it.
//
// So a refresh compares again only when it must: when the last comparison
// was quiet (compare.Result.Quiet: Synced, every target live and tracked, no
// orphaned resources looked for), the Application and its project are
// unchanged, its epoch is too, and its sources still resolve to the same
// revisions against the same destination under the same settings
// (compare.Inputs, which costs map lookups in the shared ref listings), the
// refresh ends there: no render, no live read, no diff, no write. An idle
// Capstan re-resolves revisions and nothing else.

// quietComparison is what a quiet comparison was made from.
type quietComparison struct {
	// epoch is the Application's epoch when the comparison started.
	epoch uint64
	// resourceVersion is the Application as compared (and as written, when
	// the comparison wrote its status).
	resourceVersion string
	// project identifies the AppProject as compared.
	project string
	inputs  compare.Inputs
}

// changed bumps key's epoch: something its next comparison may see
// differently happened.
func (c *Controller) changed(key string) {
	c.mu.Lock()
	c.epochs[key]++
	// Not only its managed objects: the next comparison resolves its
	// sources (recent.go).
	c.sourceEpochs[key]++
	c.mu.Unlock()
}

// epoch returns key's epoch.
func (c *Controller) epoch(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epochs[key]
}

// rememberComparison keeps a quiet comparison of key, started at epoch, of
// the Application at resourceVersion; any other result is forgotten, so that
// the next refresh compares.
func (c *Controller) rememberComparison(key string, epoch uint64, resourceVersion string, project *v1alpha1.AppProject, result compare.Result) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !result.Quiet || resourceVersion == "" {
		delete(c.quiet, key)
		return
	}
	c.quiet[key] = quietComparison{epoch: epoch, resourceVersion: resourceVersion, project: projectIdentity(project), inputs: result.Inputs}
}

// forgetComparison makes the next refresh of key compare.
func (c *Controller) forgetComparison(key string) {
	c.mu.Lock()
	delete(c.quiet, key)
	c.mu.Unlock()
}

// stillQuiet tells whether app's last comparison was quiet and nothing it
// was made from changed since: comparing again would give the same result.
func (c *Controller) stillQuiet(ctx context.Context, key string, app *v1alpha1.Application, project *v1alpha1.AppProject) bool {
	c.mu.Lock()
	last, ok := c.quiet[key]
	epoch := c.epochs[key]
	c.mu.Unlock()
	if !ok || last.epoch != epoch || last.resourceVersion != app.ResourceVersion || last.project != projectIdentity(project) {
		return false
	}
	inputs, err := c.comparer.Inputs(ctx, app, compare.Options{Project: project})
	if err != nil {
		klog.FromContext(ctx).V(4).Info("Comparing: the inputs are unknown", "err", err)
		return false
	}
	if inputs != last.inputs {
		klog.FromContext(ctx).V(4).Info("Comparing: the inputs changed", "revisions", inputs.Revisions, "was", last.inputs.Revisions)
		return false
	}
	return true
}

// projectIdentity identifies one state of an AppProject: any write to it
// changes its resourceVersion.
func projectIdentity(project *v1alpha1.AppProject) string {
	if project == nil {
		return ""
	}
	return string(project.UID) + "/" + project.Name + "/" + project.ResourceVersion
}
