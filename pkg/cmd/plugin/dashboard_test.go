package plugin

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func TestDashboardListensOnLoopbackOnly(t *testing.T) {
	tests := []struct {
		address string
		refused bool
	}{
		{address: "127.0.0.1"},
		{address: "::1"},
		{address: "localhost"},
		{address: "127.0.0.2"},
		{address: "0.0.0.0", refused: true},
		{address: "::", refused: true},
		{address: "192.0.2.10", refused: true},
		{address: "example.com", refused: true},
	}
	for _, test := range tests {
		t.Run(test.address, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := Main([]string{"kubectl-capstan", "dashboard", "--address", test.address, "--port", "0", "--kubeconfig", "/nonexistent"},
				genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
			refused := strings.Contains(errOut.String(), "listens on loopback addresses only")
			if refused != test.refused {
				t.Fatalf("exit code %d, refused %t, want %t\n%s", code, refused, test.refused, errOut.String())
			}
			if test.refused && code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
		})
	}
}
