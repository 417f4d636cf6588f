package plugin

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// SyncFlags are the options of a sync request, as `argocd app sync` names
// them; `kubectl capstan sync` and `kubectl create sync` share them.
type SyncFlags struct {
	Revision    string
	Revisions   []string
	Prune       bool
	Force       bool
	ApplyOnly   bool
	Resources   []string
	SyncOptions []string
}

// AddFlags registers the flags.
func (f *SyncFlags) AddFlags(flags *pflag.FlagSet) {
	flags.StringVar(&f.Revision, "revision", "", "Revision to sync to; default the Application's targetRevision.")
	flags.StringSliceVar(&f.Revisions, "revisions", nil, "Revisions of a multi-source Application, one per source in order.")
	flags.BoolVar(&f.Prune, "prune", false, "Delete resources that are no longer in the target state.")
	flags.BoolVar(&f.Force, "force", false, "Replace resources that cannot be updated in place.")
	flags.BoolVar(&f.ApplyOnly, "apply-only", false, "Use the apply strategy: skip hooks.")
	flags.StringSliceVar(&f.Resources, "resource", nil, "Sync only this resource, as GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME. Repeatable.")
	flags.StringSliceVar(&f.SyncOptions, "sync-option", nil, "Sync option such as CreateNamespace=true. Repeatable.")
}

// Request builds the ApplicationSyncRequest for Application name.
func (f *SyncFlags) Request(name string) (*v1alpha1.ApplicationSyncRequest, error) {
	spec := v1alpha1.ApplicationSyncRequestSpec{
		Revision:    f.Revision,
		Revisions:   f.Revisions,
		Prune:       f.Prune,
		SyncOptions: f.SyncOptions,
	}
	if f.Force || f.ApplyOnly {
		apply := &v1alpha1.SyncStrategyApply{Force: f.Force}
		if f.ApplyOnly {
			spec.Strategy = &v1alpha1.SyncStrategy{Apply: apply}
		} else {
			spec.Strategy = &v1alpha1.SyncStrategy{Hook: &v1alpha1.SyncStrategyHook{SyncStrategyApply: *apply}}
		}
	}
	for _, value := range f.Resources {
		resource, err := ParseResource(value)
		if err != nil {
			return nil, err
		}
		spec.Resources = append(spec.Resources, resource)
	}
	request := &v1alpha1.ApplicationSyncRequest{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: spec}
	request.SetGroupVersionKind(v1alpha1.SchemeGroupVersion.WithKind("ApplicationSyncRequest"))
	return request, nil
}

// ParseResource reads GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME, the form of
// `argocd app sync --resource`; GROUP is empty for the core group.
func ParseResource(value string) (v1alpha1.SyncOperationResource, error) {
	parts := strings.Split(value, ":")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return v1alpha1.SyncOperationResource{}, fmt.Errorf(
			"--resource %q: want GROUP:KIND:NAME or GROUP:KIND:NAMESPACE/NAME", value)
	}
	resource := v1alpha1.SyncOperationResource{Group: parts[0], Kind: parts[1], Name: parts[2]}
	if namespace, name, ok := strings.Cut(parts[2], "/"); ok {
		if namespace == "" || name == "" {
			return v1alpha1.SyncOperationResource{}, fmt.Errorf(
				"--resource %q: want GROUP:KIND:NAMESPACE/NAME with both parts set", value)
		}
		resource.Namespace, resource.Name = namespace, name
	}
	return resource, nil
}
