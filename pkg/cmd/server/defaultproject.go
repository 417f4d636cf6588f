package server

import (
	"context"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
)

// defaultProject is Argo CD's fully permissive default AppProject.
func defaultProject() *v1alpha1.AppProject {
	return &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: v1alpha1.DefaultAppProjectName},
		Spec: v1alpha1.AppProjectSpec{
			SourceRepos:              []string{"*"},
			Destinations:             []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
		},
	}
}

// ensureDefaultProject creates the default AppProject when it does not exist, as
// Argo CD does at start-up. An existing default project is left as the user made it.
func ensureDefaultProject(ctx context.Context, config *rest.Config) error {
	client, err := clientset.NewForConfig(config)
	if err != nil {
		return err
	}
	projects := client.CapstanV1alpha1().AppProjects()
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := projects.Get(ctx, v1alpha1.DefaultAppProjectName, metav1.GetOptions{})
		if err == nil {
			return true, nil
		}
		if apierrors.IsNotFound(err) {
			_, err = projects.Create(ctx, defaultProject(), metav1.CreateOptions{FieldManager: "capstan-apiserver"})
			if err == nil || apierrors.IsAlreadyExists(err) {
				klog.FromContext(ctx).Info("Created the default AppProject")
				return true, nil
			}
		}
		klog.FromContext(ctx).V(2).Info("Waiting to create the default AppProject", "err", err)
		return false, nil
	})
}
