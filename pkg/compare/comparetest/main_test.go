// Package comparetest runs the comparison against a real kube-apiserver: the
// local control plane of hack/local-up.sh without capstan-apiserver, started
// by TestMain through test/localplane on the first free CAPSTAN_PORT_BASE of
// 46000, 47000, …. Without the binaries in _output/bin (`make tools`) the
// package is skipped, unless CAPSTAN_E2E=1 makes that a failure.
package comparetest

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
		Name:      "comparetest",
		RootDir:   "../../..",
		PortBases: []int{46000, 47000, 48000, 49000},
	}, func(c *rest.Config) { config = c }))
}
