package project

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestSourcePermitted(t *testing.T) {
	tests := []struct {
		name  string
		repos []string
		url   string
		want  bool
	}{
		{name: "a star allows every repository", repos: []string{"*"}, url: "https://git.example.com/team/app.git", want: true},
		{name: "no pattern allows nothing", url: "https://git.example.com/team/app.git"},
		{name: "a prefix glob allows its repositories", repos: []string{"https://git.example.com/team/*"}, url: "https://git.example.com/team/app.git", want: true},
		{name: "a prefix glob refuses others", repos: []string{"https://git.example.com/team/*"}, url: "https://git.example.com/other/app.git"},
		{name: "a deny pattern wins over an allow", repos: []string{"*", "!https://git.example.com/secret/*"}, url: "https://git.example.com/secret/app.git"},
		{name: "a deny pattern leaves others allowed", repos: []string{"*", "!https://git.example.com/secret/*"}, url: "https://git.example.com/team/app.git", want: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := SourcePermitted(v1alpha1.AppProjectSpec{SourceRepos: test.repos}, test.url); got != test.want {
				t.Errorf("SourcePermitted = %t, want %t", got, test.want)
			}
		})
	}
}

func TestDestinationPermitted(t *testing.T) {
	const inCluster = "https://kubernetes.default.svc"
	tests := []struct {
		name         string
		destinations []v1alpha1.ApplicationDestination
		destination  v1alpha1.ApplicationDestination
		want         bool
	}{
		{name: "any server and namespace",
			destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			destination:  v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "prod"}, want: true},
		{name: "the namespace must match",
			destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "team-*"}},
			destination:  v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "prod"}},
		{name: "by cluster name",
			destinations: []v1alpha1.ApplicationDestination{{Name: "in-cluster", Namespace: "*"}},
			destination:  v1alpha1.ApplicationDestination{Name: "in-cluster", Namespace: "prod"}, want: true},
		{name: "a denied namespace wins",
			destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}, {Server: "*", Namespace: "!kube-system"}},
			destination:  v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "kube-system"}},
		{name: "a denied namespace leaves others",
			destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}, {Server: "*", Namespace: "!kube-system"}},
			destination:  v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "prod"}, want: true},
		{name: "a denied server wins",
			destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}, {Server: "!https://prod.example.com", Namespace: "*"}},
			destination:  v1alpha1.ApplicationDestination{Server: "https://prod.example.com", Namespace: "prod"}},
		{name: "no destinations allow nothing",
			destination: v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "prod"}},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := DestinationPermitted(v1alpha1.AppProjectSpec{Destinations: test.destinations}, test.destination); got != test.want {
				t.Errorf("DestinationPermitted = %t, want %t", got, test.want)
			}
		})
	}
}

func TestResourcePermitted(t *testing.T) {
	all := []metav1.GroupKind{{Group: "*", Kind: "*"}}
	tests := []struct {
		name       string
		spec       v1alpha1.AppProjectSpec
		group      string
		kind       string
		objName    string
		namespaced bool
		want       bool
	}{
		{name: "namespaced kinds are allowed without a whitelist", kind: "ConfigMap", namespaced: true, want: true},
		{name: "an empty namespaced whitelist allows none",
			spec: v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: []metav1.GroupKind{}}, kind: "ConfigMap", namespaced: true},
		{name: "a namespaced whitelist allows what it lists",
			spec: v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: []metav1.GroupKind{{Group: "apps", Kind: "*"}}}, group: "apps", kind: "Deployment", namespaced: true, want: true},
		{name: "a namespaced blacklist denies",
			spec: v1alpha1.AppProjectSpec{NamespaceResourceWhitelist: all, NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "", Kind: "Secret"}}}, kind: "Secret", namespaced: true},
		{name: "cluster-scoped kinds need the whitelist", kind: "Namespace"},
		{name: "the cluster whitelist allows",
			spec: v1alpha1.AppProjectSpec{ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}}}, kind: "Namespace", want: true},
		{name: "the cluster whitelist filters by name",
			spec: v1alpha1.AppProjectSpec{ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace", Name: "team1-*"}}},
			kind: "Namespace", objName: "team2-apps"},
		{name: "the cluster blacklist denies",
			spec: v1alpha1.AppProjectSpec{
				ClusterResourceWhitelist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "*", Kind: "*"}},
				ClusterResourceBlacklist: []v1alpha1.ClusterResourceRestrictionItem{{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}}},
			group: "rbac.authorization.k8s.io", kind: "ClusterRole"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := ResourcePermitted(test.spec, test.group, test.kind, test.objName, test.namespaced); got != test.want {
				t.Errorf("ResourcePermitted = %t, want %t", got, test.want)
			}
		})
	}
}
