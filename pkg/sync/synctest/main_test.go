// Package synctest runs the sync engine against a real kube-apiserver: the
// local control plane (etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler and kwok, so Jobs complete and Deployments become
// Available) started by hack/local-up.sh without capstan-apiserver.
//
// TestMain starts its own plane through test/localplane, on the first free
// CAPSTAN_PORT_BASE of 40000, 41000, …, and stops it at the end. Without the
// binaries in _output/bin (`make tools`) the package is skipped, unless
// CAPSTAN_E2E=1 makes that a failure.
package synctest

import (
	"flag"
	"os"
	"testing"

	"k8s.io/client-go/rest"

	"capstan.dev/capstan/test/localplane"
)

// config reaches the plane's kube-apiserver as cluster admin.
var config *rest.Config

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(localplane.Run(m, localplane.Options{
		Name:      "synctest",
		RootDir:   "../../..",
		PortBases: []int{40000, 41000, 42000, 43000, 44000, 45000},
	}, func(c *rest.Config) { config = c }))
}
