package validation

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// TestHostileInputIsRefusedWithTheFieldNamed is the bad-input corpus of the
// tenancy issue: requests written by hand by someone who wants to read what is
// not theirs, reach beyond their repository or run code in the server. Each
// must be refused with the field path named, and the error must not quote a
// password.
func TestHostileInputIsRefusedWithTheFieldNamed(t *testing.T) {
	const password = "s3cr3t-pw"
	type hostile struct {
		name  string
		errs  func() field.ErrorList
		field string
	}
	app := func(mutate func(*capstan.Application)) func() field.ErrorList {
		return func() field.ErrorList {
			a := validApplication()
			mutate(a)
			return ValidateApplication(a)
		}
	}
	repo := func(url string) func() field.ErrorList {
		return app(func(a *capstan.Application) { a.Spec.Source.RepoURL = url })
	}
	ignore := func(rule capstan.ResourceIgnoreDifferences) func() field.ErrorList {
		return app(func(a *capstan.Application) { a.Spec.IgnoreDifferences = capstan.IgnoreDifferences{rule} })
	}
	pointer := func(p string) func() field.ErrorList {
		return ignore(capstan.ResourceIgnoreDifferences{Kind: "Secret", JSONPointers: []string{p}})
	}
	jq := func(expr string) func() field.ErrorList {
		return ignore(capstan.ResourceIgnoreDifferences{Kind: "Secret", JQPathExpressions: []string{expr}})
	}
	project := func(mutate func(*capstan.AppProject)) func() field.ErrorList {
		return func() field.ErrorList {
			p := validAppProject()
			mutate(p)
			return ValidateAppProject(p)
		}
	}
	appSet := func(mutate func(*capstan.ApplicationSet)) func() field.ErrorList {
		return func() field.ErrorList {
			s := validApplicationSet()
			mutate(s)
			return ValidateApplicationSet(s)
		}
	}
	const repoURL = "spec.source.repoURL"
	const pointers = "spec.ignoreDifferences[0].jsonPointers[0]"
	const exprs = "spec.ignoreDifferences[0].jqPathExpressions[0]"
	corpus := []hostile{
		// Repositories that mean something else than they say.
		{"a fragment changes the path requested", repo("https://git.example.com/team.git#/../other"), repoURL},
		{"a password in the URL", repo("https://alice:" + password + "@git.example.com/team.git"), repoURL},
		{"a query string", repo("https://git.example.com/team.git?ref=other"), repoURL},
		{"dot segments", repo("https://git.example.com/team/../other.git"), repoURL},
		{"escaped dot segments", repo("https://git.example.com/team/%2e%2e/other.git"), repoURL},
		{"an unknown scheme", repo("gopher://git.example.com/team.git"), repoURL},
		{"no URL at all", repo(""), repoURL},
		{"a password in a multi-source URL", app(func(a *capstan.Application) {
			multiSource(a)
			a.Spec.Sources[1].RepoURL = "https://bob:" + password + "@git.example.com/config.git"
		}), "spec.sources[1].repoURL"},
		// Paths that leave the repository.
		{"a path that climbs out of the repository", app(func(a *capstan.Application) { a.Spec.Source.Path = "../../etc" }), "spec.source.path"},
		{"a Helm values file that climbs out of the repository", app(func(a *capstan.Application) {
			a.Spec.Source.Helm = &capstan.ApplicationSourceHelm{ValueFiles: []string{"../../../etc/passwd"}}
		}), "spec.source.helm.valueFiles[0]"},
		// ignoreDifferences that would unmask a Secret or change what an object is.
		{"ignoring the kind unmasks a Secret", pointer("/kind"), pointers},
		{"ignoring the apiVersion", pointer("/apiVersion"), pointers},
		{"ignoring all of metadata", pointer("/metadata"), pointers},
		{"ignoring the name", pointer("/metadata/name"), pointers},
		{"ignoring the namespace", pointer("/metadata/namespace"), pointers},
		{"ignoring the whole object", pointer("/"), pointers},
		{"a pointer that is not one", pointer("kind"), pointers},
		{"a bad escape", pointer("/data/~2"), pointers},
		{"a jq path removing the kind", jq(".kind"), exprs},
		{"a jq path removing metadata", jq(".metadata"), exprs},
		{"a recursive jq path reaching the name", jq(`.. | .name? // empty`), exprs},
		{"closing del( to run a program", jq(`.a) | .kind = "ConfigMap" | del(.b`), exprs},
		{"a jq definition", jq(`def f: .kind; f`), exprs},
		{"a jq program that is not a path", jq(`{"kind": "ConfigMap"}`), exprs},
		{"a jq path that never ends", jq(`repeat(.spec)`), exprs},
		{"jq that is not jq", jq(`.data[`), exprs},
		{"a rule without a kind", ignore(capstan.ResourceIgnoreDifferences{JSONPointers: []string{"/spec"}}), "spec.ignoreDifferences[0].kind"},
		// Destinations and names.
		{"both a server and a name", app(func(a *capstan.Application) { a.Spec.Destination.Name = "in-cluster" }), "spec.destination"},
		{"a name that is not a DNS subdomain", app(func(a *capstan.Application) { a.Name = "../other" }), "metadata.name"},
		{"no project", app(func(a *capstan.Application) { a.Spec.Project = "" }), "spec.project"},
		// AppProjects an admin writes by mistake, or by hand for a team.
		{"a source pattern with a password", project(func(p *capstan.AppProject) {
			p.Spec.SourceRepos = []string{"https://alice:" + password + "@git.example.com/*"}
		}), "spec.sourceRepos[0]"},
		{"a source pattern with a fragment", project(func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"https://git.example.com/*#x"} }), "spec.sourceRepos[0]"},
		{"a source namespace that is not a glob", project(func(p *capstan.AppProject) { p.Spec.SourceNamespaces = []string{"team-[a"} }), "spec.sourceNamespaces[0]"},
		{"a glob as the impersonated ServiceAccount", project(func(p *capstan.AppProject) {
			p.Spec.DestinationServiceAccounts = []capstan.ApplicationDestinationServiceAccount{{Server: "*", Namespace: "*", DefaultServiceAccount: "*"}}
		}), "spec.destinationServiceAccounts[0].defaultServiceAccount"},
		{"a path as the impersonated ServiceAccount", project(func(p *capstan.AppProject) {
			p.Spec.DestinationServiceAccounts = []capstan.ApplicationDestinationServiceAccount{{Server: "*", Namespace: "*", DefaultServiceAccount: "kube-system:../admin"}}
		}), "spec.destinationServiceAccounts[0].defaultServiceAccount"},
		{"an impersonated ServiceAccount in a namespace that is not one", project(func(p *capstan.AppProject) {
			p.Spec.DestinationServiceAccounts = []capstan.ApplicationDestinationServiceAccount{{Server: "*", Namespace: "*", DefaultServiceAccount: "Kube_System:admin"}}
		}), "spec.destinationServiceAccounts[0].defaultServiceAccount"},
		{"a deny-everything source pattern", project(func(p *capstan.AppProject) { p.Spec.SourceRepos = []string{"!*"} }), "spec.sourceRepos[0]"},
		// ApplicationSets whose literal template means something else.
		{"an ApplicationSet template repository with a fragment", appSet(func(s *capstan.ApplicationSet) {
			s.Spec.Template.Spec.Source = &capstan.ApplicationSource{RepoURL: "https://git.example.com/r.git#x", Path: "."}
		}), "spec.template.spec.source.repoURL"},
		{"an ApplicationSet template repository with a password", appSet(func(s *capstan.ApplicationSet) {
			s.Spec.Template.Spec.Source = &capstan.ApplicationSource{RepoURL: "https://u:" + password + "@git.example.com/r.git", Path: "."}
		}), "spec.template.spec.source.repoURL"},
		{"a git generator repository with a password", withGitGeneratorErrs(func(g *capstan.GitGenerator) {
			g.RepoURL = "https://u:" + password + "@git.example.com/r.git"
		}), "spec.generators[0].git.repoURL"},
	}
	if len(corpus) < 40 {
		t.Fatalf("the corpus has %d cases; the issue asks for at least 40", len(corpus))
	}
	for _, test := range corpus {
		t.Run(test.name, func(t *testing.T) {
			errs := test.errs()
			if len(errs) == 0 {
				t.Fatalf("accepted; want an error on %s", test.field)
			}
			named := false
			for _, err := range errs {
				named = named || strings.HasPrefix(err.Field, test.field)
				if strings.Contains(err.Error(), password) {
					t.Errorf("the error quotes the password: %v", err)
				}
			}
			if !named {
				t.Errorf("errors %v do not name %s", errs, test.field)
			}
		})
	}
}

func withGitGeneratorErrs(mutate func(*capstan.GitGenerator)) func() field.ErrorList {
	return func() field.ErrorList {
		s := validApplicationSet()
		withGitGenerator(mutate)(s)
		return ValidateApplicationSet(s)
	}
}
