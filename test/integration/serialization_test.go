package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Clients that prefer protobuf and fall back to JSON (kube-controller-manager's
// garbage collector does) get JSON, not an error.
func TestProtobufPreferringClientsGetJSON(t *testing.T) {
	s := startServer(t)
	client := s.client.CapstanV1alpha1().RESTClient()
	result := client.Get().
		AbsPath("/apis/capstan.dev/v1alpha1/applications").
		SetHeader("Accept", "application/vnd.kubernetes.protobuf, application/json").
		Do(context.Background())
	var status int
	result.StatusCode(&status)
	if err := result.Error(); err != nil || status != http.StatusOK {
		t.Fatalf("list with protobuf preferred: status %d, err %v", status, err)
	}
	var contentType string
	result.ContentType(&contentType)
	if !strings.HasPrefix(contentType, "application/json") {
		t.Errorf("content type = %q, want application/json", contentType)
	}
}
