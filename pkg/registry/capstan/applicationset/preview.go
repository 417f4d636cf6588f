package applicationset

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/apis/capstan/validation"
	"capstan.dev/capstan/pkg/appset/generators"
	"capstan.dev/capstan/pkg/appset/plan"
)

// PreviewREST is the storage of applicationsets/preview: GET runs the
// stored ApplicationSet's generators now and says what the controller would
// create, update or delete; POST of an unsaved candidate does the same for
// it. Nothing is written.
type PreviewREST struct {
	store  *genericregistry.Store
	scheme *runtime.Scheme
	config PreviewConfig
}

var (
	_ rest.Getter                   = &PreviewREST{}
	_ rest.NamedCreater             = &PreviewREST{}
	_ rest.GroupVersionKindProvider = &PreviewREST{}
	_ rest.TableConvertor           = &PreviewREST{}
	_ rest.Scoper                   = &PreviewREST{}
)

// New returns an empty ApplicationSet: the body of a POST is decoded into it.
func (r *PreviewREST) New() runtime.Object { return &capstan.ApplicationSet{} }

// GroupVersionKind is ApplicationSetPreview, the kind of every answer.
func (r *PreviewREST) GroupVersionKind(containingGV schema.GroupVersion) schema.GroupVersionKind {
	return containingGV.WithKind("ApplicationSetPreview")
}

// Destroy releases nothing: the store belongs to the applicationsets resource.
func (r *PreviewREST) Destroy() {}

// NamespaceScoped is true: ApplicationSets are namespaced.
func (r *PreviewREST) NamespaceScoped() bool { return true }

// Get previews the stored ApplicationSet name.
func (r *PreviewREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	if err := r.available(); err != nil {
		return nil, err
	}
	obj, err := r.store.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	appSet, err := r.served(obj.(*capstan.ApplicationSet))
	if err != nil {
		return nil, err
	}
	return r.preview(ctx, appSet, generators.Options{})
}

// Create previews a candidate ApplicationSet, checked as if it were created:
// its project must accept it, and generators that read Secrets, ConfigMaps
// or other resources run only if the caller may read them.
func (r *PreviewREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	if err := r.available(); err != nil {
		return nil, err
	}
	candidate, ok := obj.(*capstan.ApplicationSet)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("POST applicationsets/preview takes a candidate ApplicationSet, not %T", obj))
	}
	if candidate.Name != "" && candidate.Name != name {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("the body names ApplicationSet %q, the request %q", candidate.Name, name))
	}
	candidate = candidate.DeepCopy()
	candidate.Name = name
	if namespace, ok := genericapirequest.NamespaceFrom(ctx); ok {
		candidate.Namespace = namespace
	}
	if errs := validation.ValidateApplicationSet(candidate); len(errs) > 0 {
		return nil, apierrors.NewInvalid(capstan.Kind("ApplicationSet"), name, errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, candidate.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	// Applications the stored ApplicationSet of that name owns are its own.
	if stored, err := r.store.Get(ctx, name, &metav1.GetOptions{}); err == nil {
		candidate.UID = stored.(*capstan.ApplicationSet).UID
	}
	appSet, err := r.served(candidate)
	if err != nil {
		return nil, err
	}
	if err := r.config.Access.projectAccepts(ctx, appSet); err != nil {
		return nil, err
	}
	return r.preview(ctx, appSet, generators.Options{Authorize: r.config.Access.authorize})
}

// preview plans appSet against the Applications of its namespace, which the
// caller must be allowed to list (the preview shows their specs).
func (r *PreviewREST) preview(ctx context.Context, appSet *v1alpha1.ApplicationSet, generateOptions generators.Options) (runtime.Object, error) {
	if err := r.config.Access.authorize(ctx, "list", applicationsResource, appSet.Namespace, ""); err != nil {
		return nil, err
	}
	existing, err := r.config.Applications(ctx, appSet.Namespace)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("list the Applications of %s: %w", appSet.Namespace, err))
	}
	policy := plan.EffectivePolicy(appSet, r.config.SyncPolicy, r.config.AllowPolicyOverride || r.config.SyncPolicy == "")
	planOptions := plan.Options{SyncPolicy: policy, Policy: r.config.Access.Policy}
	if getProject := r.config.Access.Project; getProject != nil {
		planOptions.Project = func(name string) (*v1alpha1.AppProject, error) { return getProject(ctx, name) }
	}
	changes, err := plan.Compute(ctx, r.config.Generators, appSet, existing, planOptions, generateOptions)
	if err != nil {
		var statusErr *apierrors.StatusError
		if errors.As(err, &statusErr) {
			return nil, statusErr
		}
		return nil, apierrors.NewBadRequest(fmt.Sprintf("applicationset %s: %v", appSet.Name, err))
	}
	preview, err := plan.Preview(appSet, policy, changes)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	out := &capstan.ApplicationSetPreview{}
	if err := r.scheme.Convert(preview, out, nil); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("convert the preview: %w", err))
	}
	return out, nil
}

// available answers 503 when the server runs no generators.
func (r *PreviewREST) available() error {
	if r.config.Generators == nil {
		return apierrors.NewServiceUnavailable(
			"this subresource needs a destination cluster; capstan-apiserver runs without one (--standalone or --controllers=false)")
	}
	return nil
}

// served converts an internal ApplicationSet to the version the generators work on.
func (r *PreviewREST) served(in *capstan.ApplicationSet) (*v1alpha1.ApplicationSet, error) {
	out := &v1alpha1.ApplicationSet{}
	if err := r.scheme.Convert(in, out, nil); err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("convert ApplicationSet %s: %w", in.Name, err))
	}
	return out, nil
}

// ConvertToTable prints one row per Application, for
// `kubectl get appset NAME --subresource=preview`.
func (r *PreviewREST) ConvertToTable(ctx context.Context, object runtime.Object, tableOptions runtime.Object) (*metav1.Table, error) {
	preview, ok := object.(*capstan.ApplicationSetPreview)
	if !ok {
		return nil, fmt.Errorf("not an ApplicationSetPreview: %T", object)
	}
	out := &metav1.Table{}
	if opts, ok := tableOptions.(*metav1.TableOptions); !ok || !opts.NoHeaders {
		out.ColumnDefinitions = previewColumns
	}
	for _, item := range preview.Items {
		project, destination := "", ""
		if app := item.Application; app != nil {
			project = app.Spec.Project
			destination = app.Spec.Destination.Server
			if destination == "" {
				destination = app.Spec.Destination.Name
			}
			destination += "/" + app.Spec.Destination.Namespace
		}
		out.Rows = append(out.Rows, metav1.TableRow{
			Cells:  []interface{}{item.Name, item.Action, project, destination, item.Message},
			Object: runtime.RawExtension{Object: preview},
		})
	}
	return out, nil
}

var previewColumns = []metav1.TableColumnDefinition{
	{Name: "Name", Type: "string", Format: "name", Description: "Name of the Application."},
	{Name: "Action", Type: "string", Description: "Create, Update, Delete, Unchanged, Kept (the policy forbids the change) or Refused."},
	{Name: "Project", Type: "string", Description: "AppProject of the Application."},
	{Name: "Destination", Type: "string", Description: "Destination server (or name) and namespace."},
	{Name: "Message", Type: "string", Description: "Why the Application is kept or refused."},
}
