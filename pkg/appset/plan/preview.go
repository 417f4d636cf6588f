package plan

import (
	"fmt"

	"github.com/pmezard/go-difflib/difflib"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Preview describes a plan as the applicationsets/preview subresource
// answers it: per Application its action, the Application generated (the
// existing one for Delete) and, for updates, a diff of what changes.
func Preview(appSet *v1alpha1.ApplicationSet, policy v1alpha1.ApplicationsSyncPolicy, changes []Change) (*v1alpha1.ApplicationSetPreview, error) {
	preview := &v1alpha1.ApplicationSetPreview{
		TypeMeta:   metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "ApplicationSetPreview"},
		ObjectMeta: metav1.ObjectMeta{Name: appSet.Name, Namespace: appSet.Namespace, UID: appSet.UID, ResourceVersion: appSet.ResourceVersion},
		Policy:     policy,
	}
	for _, change := range changes {
		item := v1alpha1.ApplicationSetPreviewItem{Name: change.Name, Action: string(change.Action), Message: change.Message}
		app := change.Desired
		if app == nil {
			app = change.Live
		}
		if app != nil {
			shown := app.DeepCopy()
			shown.ManagedFields = nil
			item.Application = shown
		}
		if change.Written != nil && change.Live != nil && (change.Action == Update || change.Action == Kept) {
			diff, err := managedDiff(change.Live, change.Written)
			if err != nil {
				return nil, fmt.Errorf("application %s: %w", change.Name, err)
			}
			item.Diff = diff
		}
		preview.Items = append(preview.Items, item)
	}
	return preview, nil
}

// managedDiff is a unified diff of the managed part of live to written.
func managedDiff(live *v1alpha1.Application, written Managed) (string, error) {
	liveView, err := ManagedOf(live)
	if err != nil {
		return "", err
	}
	from, err := yaml.Marshal(liveView)
	if err != nil {
		return "", err
	}
	to, err := yaml.Marshal(written)
	if err != nil {
		return "", err
	}
	return difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
		A: difflib.SplitLines(string(from)), B: difflib.SplitLines(string(to)),
		FromFile: "live", ToFile: "generated", Context: 3,
	})
}
