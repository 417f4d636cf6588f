package generators

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	corev1listers "k8s.io/client-go/listers/core/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// clusterSecretSelector selects Argo CD cluster Secrets.
var clusterSecretSelector = labels.SelectorFromSet(labels.Set{"argocd.argoproj.io/secret-type": "cluster"})

// SecretClusters is the ClusterSource of the cluster Secrets a lister holds
// (those of the repository namespace), plus the in-cluster destination
// unless one of them describes it.
type SecretClusters struct {
	Secrets corev1listers.SecretNamespaceLister
}

var _ ClusterSource = SecretClusters{}

// Clusters lists the in-cluster destination first, then the Secrets' clusters
// by Secret name. A Secret without a name or server is skipped: it is no
// destination either.
func (s SecretClusters) Clusters(context.Context) ([]Cluster, error) {
	secrets, err := s.Secrets.List(clusterSecretSelector)
	if err != nil {
		return nil, fmt.Errorf("list cluster Secrets: %w", err)
	}
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })
	clusters := []Cluster{}
	inCluster := true
	for _, secret := range secrets {
		name, server := string(secret.Data["name"]), string(secret.Data["server"])
		if strings.TrimSpace(name) == "" || strings.TrimSpace(server) == "" {
			continue
		}
		if strings.TrimRight(strings.TrimSpace(server), "/") == v1alpha1.KubernetesInternalAPIServerAddr {
			inCluster = false
		}
		clusters = append(clusters, Cluster{
			Name: name, Server: server, Project: strings.TrimSpace(string(secret.Data["project"])),
			Labels: secret.Labels, Annotations: secret.Annotations,
		})
	}
	if inCluster {
		clusters = append([]Cluster{{
			Name: v1alpha1.KubernetesInClusterName, Server: v1alpha1.KubernetesInternalAPIServerAddr, InCluster: true,
		}}, clusters...)
	}
	return clusters, nil
}
