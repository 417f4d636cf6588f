package application

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
	"capstan.dev/capstan/pkg/registry/capstan/table"
)

// DiffREST is the storage of applications/diff: GET computes the difference
// between the target and the live state at request time; POST of a candidate
// Application previews the difference its unsaved spec would make, and POST
// of an ApplicationDiffRequest the difference objects rendered elsewhere
// would make.
type DiffREST struct {
	call  engineCall
	table table.Convertor
}

var (
	_ rest.GetterWithOptions        = &DiffREST{}
	_ rest.NamedCreater             = &DiffREST{}
	_ rest.GroupVersionKindProvider = &DiffREST{}
	_ rest.TableConvertor           = &DiffREST{}
	_ rest.Scoper                   = &DiffREST{}
)

// New returns nil: the body of a POST is decoded as the kind it names, a
// candidate Application or an ApplicationDiffRequest (Create tells them
// apart). Both GET and POST answer an ApplicationDiff, as GroupVersionKind
// says.
func (r *DiffREST) New() runtime.Object { return nil }

// GroupVersionKind is ApplicationDiff: the kind discovery and OpenAPI give
// the subresource, whose answers are ApplicationDiffs.
func (r *DiffREST) GroupVersionKind(containingGV schema.GroupVersion) schema.GroupVersionKind {
	return containingGV.WithKind("ApplicationDiff")
}

// Destroy releases nothing: the store belongs to the applications resource.
func (r *DiffREST) Destroy() {}

// NamespaceScoped is true: diffs belong to namespaced Applications.
func (r *DiffREST) NamespaceScoped() bool { return true }

// NewGetOptions returns the query parameters: revision and refresh.
func (r *DiffREST) NewGetOptions() (runtime.Object, bool, string) {
	return &capstan.ApplicationDiffOptions{}, false, ""
}

// Get computes the diff of the Application name.
func (r *DiffREST) Get(ctx context.Context, name string, options runtime.Object) (runtime.Object, error) {
	opts, ok := options.(*capstan.ApplicationDiffOptions)
	if !ok {
		return nil, fmt.Errorf("unexpected options %T", options)
	}
	app, err := r.call.application(ctx, name)
	if err != nil {
		return nil, err
	}
	inspect, err := r.call.access.inspectOptions(ctx, app, opts.Revision, opts.Refresh == "hard")
	if err != nil {
		return nil, err
	}
	diff, err := r.call.engine.Diff(ctx, app, inspect)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(diff, &capstan.ApplicationDiff{})
}

// Create computes the diff of a candidate Application: the target state its
// spec renders compared with the live objects of the Application name, as
// `argocd app diff --local` and pull request previews need. Nothing is
// stored, and the Application need not exist. The body's kind must be
// Application; the answer is an ApplicationDiff.
func (r *DiffREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if request, ok := obj.(*capstan.ApplicationDiffRequest); ok {
		return r.diffManifests(ctx, name, request)
	}
	candidate, ok := obj.(*capstan.Application)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("POST applications/diff takes a candidate Application or an ApplicationDiffRequest, not %s", kindOf(obj)))
	}
	if err := checkRequestName(name, candidate.Name); err != nil {
		return nil, err
	}
	candidate = candidate.DeepCopy()
	candidate.Name = name
	if namespace, ok := genericapirequest.NamespaceFrom(ctx); ok {
		candidate.Namespace = namespace
	}
	if errs := validation.ValidateApplication(candidate); len(errs) > 0 {
		return nil, apierrors.NewInvalid(capstan.Kind("Application"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, candidate.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	app, err := r.call.served(candidate)
	if err != nil {
		return nil, err
	}
	// Checked as if it were created: its namespace, project, repositories
	// and destination.
	inspect, err := r.call.access.inspectOptions(ctx, app, "", false)
	if err != nil {
		return nil, err
	}
	diff, err := r.call.engine.Diff(ctx, app, inspect)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(diff, &capstan.ApplicationDiff{})
}

// diffManifests compares the objects of request with the live state of the
// Application name, as a comparison of its target state would: the project
// and what the caller may read are checked as for GET.
func (r *DiffREST) diffManifests(ctx context.Context, name string, request *capstan.ApplicationDiffRequest) (runtime.Object, error) {
	if err := checkRequestName(name, request.Name); err != nil {
		return nil, err
	}
	manifests, errs := validation.ValidateDiffManifests(request.Manifests)
	if len(errs) > 0 {
		return nil, apierrors.NewInvalid(capstan.Kind("ApplicationDiffRequest"), name, errs)
	}
	app, err := r.call.application(ctx, name)
	if err != nil {
		return nil, err
	}
	inspect, err := r.call.access.inspectOptions(ctx, app, "", false)
	if err != nil {
		return nil, err
	}
	inspect.Manifests = manifests
	diff, err := r.call.engine.Diff(ctx, app, inspect)
	if err != nil {
		return nil, engineError(name, err)
	}
	return r.call.internal(diff, &capstan.ApplicationDiff{})
}

// kindOf names an object's kind for an error.
func kindOf(obj runtime.Object) string {
	if obj == nil {
		return "nothing"
	}
	if kind := obj.GetObjectKind().GroupVersionKind().Kind; kind != "" {
		return kind
	}
	return fmt.Sprintf("%T", obj)
}

// ConvertToTable prints one row per resource, for `kubectl get app NAME --subresource=diff`.
func (r *DiffREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	diff, ok := object.(*capstan.ApplicationDiff)
	if !ok {
		return r.table.ConvertToTable(ctx, object, tableOptions)
	}
	out := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		out.ColumnDefinitions = diffColumns
	}
	for _, item := range diff.Items {
		changed := "no"
		if item.Diff != "" {
			changed = "yes"
		}
		// Every row carries the whole diff: rows need an object with metadata.
		out.Rows = append(out.Rows, metav1.TableRow{
			Cells:  []interface{}{item.Group, item.Kind, item.Namespace, item.Name, item.Status, changed},
			Object: runtime.RawExtension{Object: diff},
		})
	}
	return out, nil
}

var diffColumns = []metav1.TableColumnDefinition{
	{Name: "Group", Type: "string", Description: "API group of the resource."},
	{Name: "Kind", Type: "string", Description: "Kind of the resource."},
	{Name: "Namespace", Type: "string", Description: "Namespace of the resource."},
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the resource."},
	{Name: "Status", Type: "string", Description: "Synced, OutOfSync, Missing or RequiresPruning."},
	{Name: "Changed", Type: "string", Description: "Whether applying the target would change the live object."},
}
