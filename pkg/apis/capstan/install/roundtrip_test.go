package install

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"

	"capstan.dev/capstan/pkg/apis/capstan/fuzzer"
)

// TestRoundTripTypes fuzzes every kind of the group and checks that it survives
// internal -> v1alpha1 -> JSON and YAML -> v1alpha1 -> internal unchanged.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, fuzzer.Funcs)
}
