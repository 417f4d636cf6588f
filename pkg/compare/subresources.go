package compare

import (
	"context"
	"errors"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/cluster"
	"capstan.dev/capstan/pkg/diff"
	"capstan.dev/capstan/pkg/inspect"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/target"
)

// ErrComparison wraps failures that leave no diff to show, such as a render error.
var ErrComparison = errors.New("comparison failed")

// Diff computes the ApplicationDiff of app now: one item per managed resource
// with its status, a unified text diff and the normalized objects, Secret
// values masked before any ignore rule applies. It asks the destination for a
// fresh dry-run of every resource.
func (c *Comparer) Diff(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationDiff, error) {
	// Live objects are read as the comparison reads them (untracked objects
	// adopted by key included), looked up now even where a comparison found
	// nothing a moment ago, so that the diff shows the state at request time.
	result := c.Compare(ctx, app, Options{Revision: opts.Revision, Hard: opts.Hard, Project: opts.Project, ProjectMissing: opts.ProjectMissing, Manifests: opts.Manifests, RecheckAbsent: true})
	if result.Cluster == nil {
		return nil, fmt.Errorf("%w: %s", ErrComparison, conditionMessages(result.Conditions))
	}
	out := &v1alpha1.ApplicationDiff{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}}
	if result.Target != nil {
		out.Revision = result.Target.Revision
	}
	rules := c.ignoreRules(app)
	client, err := c.WriteClient(app, opts.Project, result.Cluster)
	if err != nil {
		return nil, err
	}
	applier := DryRunApplier{Cluster: result.Cluster, Client: client}
	readable := readableLive(ctx, result.Cluster, opts.MayRead)
	for _, resource := range result.Resources {
		key := keyOf(resource)
		status := string(resource.Status)
		switch {
		case resource.RequiresPruning:
			status = "RequiresPruning"
		case result.Live[key] == nil:
			status = "Missing"
		}
		item := v1alpha1.ResourceDiffItem{
			Group: resource.Group, Kind: resource.Kind, Namespace: resource.Namespace, Name: resource.Name, Status: status,
		}
		if refusal := project.ResourceRefusal(opts.Project, app.Spec.Destination, result.Targets[key], key.Namespace != ""); refusal != nil {
			// Never dry-run what the project refuses to sync.
			item.Message = refusal.Error()
			out.Items = append(out.Items, item)
			continue
		}
		if live := result.Live[key]; live != nil {
			if refusal, err := readable(live); err != nil || refusal != "" {
				if err != nil {
					refusal = fmt.Sprintf("the live object is not shown: the caller's access could not be checked: %v", err)
				}
				item.Message = refusal
				item.Target = raw(diff.MaskSecrets(diff.Normalize(result.Targets[key]))[0])
				out.Items = append(out.Items, item)
				continue
			}
		}
		compared, err := diff.CompareMasked(ctx, result.Targets[key], result.Live[key], applier, rules)
		if err != nil {
			return nil, err
		}
		if item.Diff, err = diff.TextDiff(key.String(), compared.Live, compared.Predicted); err != nil {
			return nil, err
		}
		item.Target, item.Live = raw(compared.Predicted), raw(compared.Live)
		out.Items = append(out.Items, item)
	}
	return out, nil
}

// readableLive returns a check of whether the caller may see a live object of
// destination, asked once per resource and namespace: an empty string when it
// may, the reason when it may not.
func readableLive(ctx context.Context, destination *cluster.Cluster, mayRead func(context.Context, schema.GroupVersionResource, string) (bool, error)) func(*unstructured.Unstructured) (string, error) {
	if mayRead == nil || destination.Server != cluster.InClusterServer {
		return func(*unstructured.Unstructured) (string, error) { return "", nil }
	}
	type question struct {
		resource  schema.GroupVersionResource
		namespace string
	}
	answers := map[question]bool{}
	return func(obj *unstructured.Unstructured) (string, error) {
		mapping, err := destination.Cache.Mapping(obj.GroupVersionKind())
		if err != nil {
			return "", err
		}
		q := question{resource: mapping.Resource, namespace: obj.GetNamespace()}
		allowed, asked := answers[q]
		if !asked {
			if allowed, err = mayRead(ctx, q.resource, q.namespace); err != nil {
				return "", err
			}
			answers[q] = allowed
		}
		if allowed {
			return "", nil
		}
		where := "at cluster scope"
		if q.namespace != "" {
			where = "in namespace " + q.namespace
		}
		return fmt.Sprintf("the live object is not shown: you may not get %s %s", q.resource.GroupResource(), where), nil
	}
}

// target is the target state: the given manifests (copied, since
// comparing changes them), or what app's sources render.
func (c *Comparer) target(ctx context.Context, app *v1alpha1.Application, opts target.Options, manifests []*unstructured.Unstructured) (*target.Target, error) {
	if manifests == nil {
		return c.Targets.Target(ctx, app, opts)
	}
	desired := &target.Target{Objects: make([]*unstructured.Unstructured, 0, len(manifests))}
	for _, obj := range manifests {
		desired.Objects = append(desired.Objects, obj.DeepCopy())
	}
	return desired, nil
}

// Manifests renders app's target state as its sources produce it, after the
// project's rules accept the Application and its destination cluster.
func (c *Comparer) Manifests(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationManifests, error) {
	renderOpts, err := c.subresourceOptions(app, opts)
	if err != nil {
		return nil, err
	}
	desired, err := c.Targets.Target(ctx, app, renderOpts)
	if err != nil {
		return nil, err
	}
	out := &v1alpha1.ApplicationManifests{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}}
	out.Revisions = desired.Revisions
	if desired.Revision != "" {
		out.Revisions = []string{desired.Revision}
	}
	for _, obj := range diff.MaskSecrets(desired.Objects...) {
		out.Manifests = append(out.Manifests, *raw(obj))
	}
	return out, nil
}

// subresourceOptions checks what a render for the manifests and parameters
// subresources needs (the project exists and permits app, the destination is
// known) and returns the options of that render.
func (c *Comparer) subresourceOptions(app *v1alpha1.Application, opts inspect.Options) (target.Options, error) {
	if opts.ProjectMissing {
		return target.Options{}, fmt.Errorf("Application referencing project %s which does not exist", app.Spec.Project)
	}
	if refusal := c.Policy.ApplicationRefusal(opts.Project, app); refusal != nil {
		return target.Options{}, refusal
	}
	destination, err := c.Destination(app, opts.Project)
	if err != nil {
		return target.Options{}, err
	}
	kubeVersion, apiVersions, err := destination.Versions()
	if err != nil {
		return target.Options{}, err
	}
	return targetOptions(kubeVersion, apiVersions, Options{Revision: opts.Revision, Hard: opts.Hard}), nil
}

// ParameterSource gives the parameter announcements of an Application's
// plugin sources; a TargetSource that also implements it serves the
// parameters subresource.
type ParameterSource interface {
	Parameters(ctx context.Context, app *v1alpha1.Application, opts target.Options) ([]target.SourceParameters, error)
}

// Parameters returns the parameters the config management plugins of app's
// sources announce, at its target revision or opts.Revision, with the checks
// the manifests subresource makes (the project permits the sources, the
// destination is known and gives the plugins KUBE_VERSION).
func (c *Comparer) Parameters(ctx context.Context, app *v1alpha1.Application, opts inspect.Options) (*v1alpha1.ApplicationParameters, error) {
	source, ok := c.Targets.(ParameterSource)
	if !ok {
		return nil, errors.New("parameter announcements are not available from this server")
	}
	renderOpts, err := c.subresourceOptions(app, opts)
	if err != nil {
		return nil, err
	}
	sources, err := source.Parameters(ctx, app, renderOpts)
	if err != nil {
		return nil, err
	}
	out := &v1alpha1.ApplicationParameters{ObjectMeta: metav1.ObjectMeta{Name: app.Name, Namespace: app.Namespace}}
	for _, s := range sources {
		item := v1alpha1.ApplicationSourceParameters{
			Index: int32(s.Index), RepoURL: s.Source.RepoURL, Path: s.Source.Path, Revision: s.Revision, Plugin: s.Plugin,
		}
		for _, p := range s.Parameters {
			item.Parameters = append(item.Parameters, v1alpha1.PluginParameterAnnouncement{
				Name: p.Name, Title: p.Title, Tooltip: p.Tooltip, Required: p.Required, ItemType: p.ItemType,
				CollectionType: p.CollectionType, String: p.String, Array: p.Array, Map: p.Map,
			})
		}
		out.Sources = append(out.Sources, item)
	}
	return out, nil
}

func raw(obj *unstructured.Unstructured) *runtime.RawExtension {
	if obj == nil {
		return nil
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil
	}
	return &runtime.RawExtension{Raw: data}
}

func conditionMessages(conditions []v1alpha1.ApplicationCondition) string {
	message := ""
	for i, condition := range conditions {
		if i > 0 {
			message += "; "
		}
		message += condition.Message
	}
	return message
}
