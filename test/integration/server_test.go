package integration

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"

	"capstan.dev/capstan/pkg/cmd/server"
	clientset "capstan.dev/capstan/pkg/generated/clientset/versioned"
)

// testServer is a capstan-apiserver running in the test process in standalone
// mode, with its own embedded etcd under a temporary directory.
type testServer struct {
	config *rest.Config
	client clientset.Interface
}

// startServer starts capstan-apiserver in process and waits until it is ready.
// It stops when the test ends.
func startServer(t testing.TB) *testServer {
	t.Helper()
	dir := t.TempDir()
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := server.NewOptions(io.Discard, io.Discard)
	o.Standalone = true
	o.EmbeddedEtcd.DataDir = filepath.Join(dir, "etcd")
	o.EmbeddedEtcd.UnsafeNoFsync = true
	o.RecommendedOptions.SecureServing.Listener = listener
	o.RecommendedOptions.SecureServing.BindPort = listener.Addr().(*net.TCPAddr).Port
	o.RecommendedOptions.SecureServing.BindAddress = net.ParseIP("127.0.0.1")
	o.RecommendedOptions.SecureServing.ServerCert.CertDirectory = filepath.Join(dir, "certs")
	if err := o.Complete(); err != nil {
		t.Fatal(err)
	}
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- o.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Logf("capstan-apiserver stopped: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("capstan-apiserver did not stop within 30s")
		}
	})

	config := &rest.Config{
		Host:            fmt.Sprintf("https://%s", listener.Addr().String()),
		TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS:             -1,
	}
	client, err := clientset.NewForConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		select {
		case err := <-stopped:
			return false, fmt.Errorf("capstan-apiserver exited: %v", err)
		default:
		}
		body, err := client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		return err == nil && string(body) == "ok", nil
	})
	if err != nil {
		t.Fatalf("capstan-apiserver did not become ready: %v", err)
	}
	return &testServer{config: config, client: client}
}
