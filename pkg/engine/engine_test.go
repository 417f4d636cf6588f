package engine

import (
	"context"
	"maps"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestConfigMapData(t *testing.T) {
	rules := map[string]string{"example.com_Widget": `{"status": "Healthy"}`}
	configMap := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "capstan-system", Name: "capstan-health-rules"},
		Data:       rules,
	}
	tests := []struct {
		name       string
		configName string
		want       map[string]string
	}{
		{name: "the rules of an existing ConfigMap are read", configName: "capstan-health-rules", want: rules},
		{name: "a missing ConfigMap means no rules", configName: "absent"},
		{name: "no name means no rules", configName: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Engine{config: Config{RepoNamespace: "capstan-system"}, Kube: fake.NewClientset(configMap)}
			got, err := e.configMapData(context.Background(), tt.configName)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("rules = %v, want %v", got, tt.want)
			}
		})
	}
}
