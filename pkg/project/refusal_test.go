package project

import (
	"errors"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

const inCluster = "https://kubernetes.default.svc"

func teamProject(mutate ...func(*v1alpha1.AppProjectSpec)) *v1alpha1.AppProject {
	proj := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: v1alpha1.AppProjectSpec{
			SourceNamespaces: []string{"team-a", "team-a-*"},
			SourceRepos:      []string{"https://git.example.com/team-a/*"},
			Destinations:     []v1alpha1.ApplicationDestination{{Server: inCluster, Namespace: "team-a*"}},
		},
	}
	for _, m := range mutate {
		m(&proj.Spec)
	}
	return proj
}

func teamApp(namespace, repoURL, destinationNamespace string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "app", Namespace: namespace},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "team-a",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, Path: "."},
			Destination: v1alpha1.ApplicationDestination{Server: inCluster, Namespace: destinationNamespace},
		},
	}
}

func TestApplicationRefusal(t *testing.T) {
	policy := Policy{ControlNamespaces: DefaultControlNamespaces}
	const repo = "https://git.example.com/team-a/app.git"
	tests := []struct {
		name     string
		proj     *v1alpha1.AppProject
		app      *v1alpha1.Application
		wantRule string
	}{
		{name: "an Application in a listed namespace with permitted source and destination is accepted",
			proj: teamProject(), app: teamApp("team-a", repo, "team-a")},
		{name: "a sourceNamespaces glob accepts its namespaces",
			proj: teamProject(), app: teamApp("team-a-dev", repo, "team-a-dev")},
		{name: "a namespace the project does not list is refused by sourceNamespaces",
			proj: teamProject(), app: teamApp("team-b", repo, "team-a"), wantRule: "sourceNamespaces"},
		{name: "a project without sourceNamespaces refuses every other namespace",
			proj: teamProject(func(s *v1alpha1.AppProjectSpec) { s.SourceNamespaces = nil }), app: teamApp("team-a", repo, "team-a"), wantRule: "sourceNamespaces"},
		{name: "a control namespace may use any project",
			proj: teamProject(func(s *v1alpha1.AppProjectSpec) { s.SourceNamespaces = nil }), app: teamApp("argocd", repo, "team-a")},
		{name: "capstan-system is a control namespace",
			proj: teamProject(func(s *v1alpha1.AppProjectSpec) { s.SourceNamespaces = nil }), app: teamApp("capstan-system", repo, "team-a")},
		{name: "a repository outside sourceRepos is refused",
			proj: teamProject(), app: teamApp("team-a", "https://git.example.com/team-b/app.git", "team-a"), wantRule: "sourceRepos"},
		{name: "a destination namespace outside destinations is refused",
			proj: teamProject(), app: teamApp("team-a", repo, "kube-system"), wantRule: "destinations"},
		{name: "the namespace is checked before the repository",
			proj: teamProject(), app: teamApp("team-b", "https://evil.example.com/x.git", "kube-system"), wantRule: "sourceNamespaces"},
		{name: "no project means no refusal", app: teamApp("team-b", repo, "kube-system")},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			refusal := policy.ApplicationRefusal(test.proj, test.app)
			switch {
			case test.wantRule == "" && refusal != nil:
				t.Fatalf("refused: %v", refusal)
			case test.wantRule != "" && refusal == nil:
				t.Fatalf("accepted, want a refusal by %s", test.wantRule)
			case refusal != nil && refusal.Rule != test.wantRule:
				t.Fatalf("refused by %s (%v), want %s", refusal.Rule, refusal, test.wantRule)
			}
		})
	}
}

func TestNamespaceRefusalNamesTheNamespaceTheProjectAndTheRule(t *testing.T) {
	refusal := Policy{ControlNamespaces: DefaultControlNamespaces}.NamespaceRefusal(teamProject(), "team-b")
	if refusal == nil {
		t.Fatal("accepted")
	}
	for _, want := range []string{"team-b", "team-a", "sourceNamespaces", "capstan-system, argocd"} {
		if !strings.Contains(refusal.Error(), want) {
			t.Errorf("message %q does not name %q", refusal.Error(), want)
		}
	}
}

func TestApplicationSetRefusalChecksOnlyWhatIsLiteral(t *testing.T) {
	policy := Policy{ControlNamespaces: DefaultControlNamespaces}
	appSet := func(namespace, repoURL, destinationNamespace string) *v1alpha1.ApplicationSet {
		set := &v1alpha1.ApplicationSet{ObjectMeta: metav1.ObjectMeta{Name: "set", Namespace: namespace}}
		set.Spec.Template.Spec = teamApp(namespace, repoURL, destinationNamespace).Spec
		return set
	}
	tests := []struct {
		name     string
		set      *v1alpha1.ApplicationSet
		wantRule string
	}{
		{name: "a templated repository and destination are left to the generated Applications",
			set: appSet("team-a", "{{.repo}}", "{{.namespace}}")},
		{name: "a literal repository is checked", set: appSet("team-a", "https://evil.example.com/x.git", "{{.namespace}}"), wantRule: "sourceRepos"},
		{name: "a literal destination is checked", set: appSet("team-a", "{{.repo}}", "kube-system"), wantRule: "destinations"},
		{name: "the namespace is always checked", set: appSet("team-b", "{{.repo}}", "{{.namespace}}"), wantRule: "sourceNamespaces"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			refusal := policy.ApplicationSetRefusal(teamProject(), test.set)
			if got := ruleOf(refusal); got != test.wantRule {
				t.Errorf("refused by %q (%v), want %q", got, refusal, test.wantRule)
			}
		})
	}
}

func TestResourceRefusal(t *testing.T) {
	object := func(kind, namespace string) *unstructured.Unstructured {
		obj := &unstructured.Unstructured{}
		obj.SetAPIVersion("v1")
		obj.SetKind(kind)
		obj.SetName("x")
		obj.SetNamespace(namespace)
		return obj
	}
	destination := v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "team-a"}
	tests := []struct {
		name       string
		obj        *unstructured.Unstructured
		namespaced bool
		wantRule   string
	}{
		{name: "a namespaced kind in the destination namespace is permitted", obj: object("ConfigMap", "team-a"), namespaced: true},
		{name: "a namespaced kind in another permitted namespace is permitted", obj: object("ConfigMap", "team-a-dev"), namespaced: true},
		{name: "a namespaced kind in a namespace outside destinations is refused", obj: object("ConfigMap", "kube-system"), namespaced: true, wantRule: "destinations"},
		{name: "a cluster-scoped kind is refused without clusterResourceWhitelist", obj: object("Namespace", ""), wantRule: "clusterResourceWhitelist"},
		{name: "a blacklisted namespaced kind is refused", obj: object("Secret", "team-a"), namespaced: true, wantRule: "namespaceResourceWhitelist"},
	}
	proj := teamProject(func(s *v1alpha1.AppProjectSpec) {
		s.NamespaceResourceBlacklist = []metav1.GroupKind{{Group: "", Kind: "Secret"}}
	})
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			refusal := ResourceRefusal(proj, destination, test.obj, test.namespaced)
			if got := ruleOf(refusal); got != test.wantRule {
				t.Errorf("refused by %q (%v), want %q", got, refusal, test.wantRule)
			}
		})
	}
}

func TestClusterRefusal(t *testing.T) {
	scopedOnly := teamProject(func(s *v1alpha1.AppProjectSpec) { s.PermitOnlyProjectScopedClusters = true })
	tests := []struct {
		name           string
		proj           *v1alpha1.AppProject
		clusterProject string
		wantRule       string
	}{
		{name: "an unscoped cluster is open to every project", proj: teamProject()},
		{name: "a cluster scoped to the project is open to it", proj: teamProject(), clusterProject: "team-a"},
		{name: "a cluster scoped to another project is refused", proj: teamProject(), clusterProject: "team-b", wantRule: "cluster project"},
		{name: "permitOnlyProjectScopedClusters refuses unscoped clusters", proj: scopedOnly, wantRule: "permitOnlyProjectScopedClusters"},
		{name: "permitOnlyProjectScopedClusters accepts its own clusters", proj: scopedOnly, clusterProject: "team-a"},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			refusal := ClusterRefusal(test.proj, "https://remote.example.com", test.clusterProject)
			if got := ruleOf(refusal); got != test.wantRule {
				t.Errorf("refused by %q (%v), want %q", got, refusal, test.wantRule)
			}
		})
	}
}

func TestServiceAccountFor(t *testing.T) {
	accounts := func(entries ...v1alpha1.ApplicationDestinationServiceAccount) *v1alpha1.AppProject {
		return teamProject(func(s *v1alpha1.AppProjectSpec) { s.DestinationServiceAccounts = entries })
	}
	destination := v1alpha1.ApplicationDestination{Server: inCluster, Namespace: "team-a"}
	tests := []struct {
		name    string
		proj    *v1alpha1.AppProject
		want    string
		wantErr bool
	}{
		{name: "a plain name lives in the destination namespace",
			proj: accounts(v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "team-*", DefaultServiceAccount: "deployer"}),
			want: "system:serviceaccount:team-a:deployer"},
		{name: "a namespace:name account is used as it is",
			proj: accounts(v1alpha1.ApplicationDestinationServiceAccount{Server: inCluster, Namespace: "*", DefaultServiceAccount: "ops:deployer"}),
			want: "system:serviceaccount:ops:deployer"},
		{name: "the first matching entry wins",
			proj: accounts(
				v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "other", DefaultServiceAccount: "no"},
				v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "*", DefaultServiceAccount: "first"},
				v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "*", DefaultServiceAccount: "second"}),
			want: "system:serviceaccount:team-a:first"},
		{name: "no matching entry is an error, never the controller's identity",
			proj: accounts(v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "other", DefaultServiceAccount: "x"}), wantErr: true},
		{name: "no entries is an error", proj: accounts(), wantErr: true},
		{name: "a glob in the account name is refused",
			proj: accounts(v1alpha1.ApplicationDestinationServiceAccount{Server: "*", Namespace: "*", DefaultServiceAccount: "*"}), wantErr: true},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			got, err := ServiceAccountFor(test.proj, destination, inCluster, "apps")
			if (err != nil) != test.wantErr {
				t.Fatalf("ServiceAccountFor = %q, %v; want error %t", got, err, test.wantErr)
			}
			if got != test.want {
				t.Errorf("ServiceAccountFor = %q, want %q", got, test.want)
			}
			var refusal *Refusal
			if err != nil && strings.Contains(err.Error(), "no matching") && !errors.As(err, &refusal) {
				t.Errorf("a missing service account is not a Refusal: %v", err)
			}
		})
	}
}

// ruleOf is the rule that refused, or "" for no refusal.
func ruleOf(refusal *Refusal) string {
	if refusal == nil {
		return ""
	}
	return refusal.Rule
}
