package apiserver

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/registry/rest"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	"capstan.dev/capstan/pkg/project"
	"capstan.dev/capstan/pkg/registry/capstan/application"
)

// syncWindows evaluates the sync windows of an Application's project, read
// from projects, for a manual sync requested now. A project that does not
// exist has no windows: the controller reports the missing project.
func syncWindows(projects rest.Getter) application.WindowsFunc {
	return func(ctx context.Context, app *capstan.Application) (bool, string, error) {
		name := app.Spec.Project
		if name == "" {
			name = "default"
		}
		obj, err := projects.Get(ctx, name, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, "", nil
		}
		if err != nil {
			return false, "", err
		}
		proj, ok := obj.(*capstan.AppProject)
		if !ok || len(proj.Spec.SyncWindows) == 0 {
			return true, "", nil
		}
		var external v1alpha1.AppProject
		var externalApp v1alpha1.Application
		if err := Scheme.Convert(proj, &external, nil); err != nil {
			return false, "", fmt.Errorf("convert project %s: %w", name, err)
		}
		if err := Scheme.Convert(app, &externalApp, nil); err != nil {
			return false, "", fmt.Errorf("convert application %s: %w", app.Name, err)
		}
		return project.WindowsAllow(project.WindowsInput{
			Windows: external.Spec.SyncWindows, App: &externalApp, Manual: true, Now: time.Now(),
		})
	}
}
