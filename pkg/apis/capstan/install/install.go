// Package install registers every version of the capstan.dev group in a scheme.
package install

import (
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Install registers the internal and v1alpha1 kinds of capstan.dev in scheme.
func Install(scheme *runtime.Scheme) {
	utilruntime.Must(capstan.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
	utilruntime.Must(scheme.SetVersionPriority(v1alpha1.SchemeGroupVersion))
}
