package plugin

import (
	"testing"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestParseResource(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		want    v1alpha1.SyncOperationResource
		wantErr bool
	}{
		{name: "a namespaced resource with its namespace", value: "apps:Deployment:web/guestbook",
			want: v1alpha1.SyncOperationResource{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "guestbook"}},
		{name: "a core resource without a namespace", value: ":ConfigMap:settings",
			want: v1alpha1.SyncOperationResource{Kind: "ConfigMap", Name: "settings"}},
		{name: "too few parts is refused", value: "Deployment:guestbook", wantErr: true},
		{name: "an empty kind is refused", value: "apps::guestbook", wantErr: true},
		{name: "an empty name after the namespace is refused", value: "apps:Deployment:web/", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResource(tt.value)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseResource(%q) = %+v, want an error", tt.value, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseResource(%q): %v", tt.value, err)
			}
			if got != tt.want {
				t.Errorf("ParseResource(%q) = %+v, want %+v", tt.value, got, tt.want)
			}
		})
	}
}
