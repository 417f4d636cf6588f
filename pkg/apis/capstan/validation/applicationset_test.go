package validation

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/apis/capstan/install"
	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// appSetErr is the part of a field.Error a test asserts: its type and path.
type appSetErr struct {
	Type  field.ErrorType
	Field string
}

func appSetErrorsOf(list field.ErrorList) []appSetErr {
	got := make([]appSetErr, 0, len(list))
	for _, err := range list {
		got = append(got, appSetErr{Type: err.Type, Field: err.Field})
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Field+string(got[i].Type) < got[j].Field+string(got[j].Type) })
	return got
}

func assertAppSetErrors(t *testing.T, list field.ErrorList, want []appSetErr) {
	t.Helper()
	got := appSetErrorsOf(list)
	sort.Slice(want, func(i, j int) bool { return want[i].Field+string(want[i].Type) < want[j].Field+string(want[j].Type) })
	if len(got) != len(want) {
		t.Fatalf("got errors %v (%v), want %v", got, list, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("got errors %v (%v), want %v", got, list, want)
		}
	}
}

func appSetRaw(s string) runtime.RawExtension { return runtime.RawExtension{Raw: []byte(s)} }

func appSetRawPtr(s string) *runtime.RawExtension {
	r := appSetRaw(s)
	return &r
}

func appSetListGenerator() *capstan.ListGenerator {
	return &capstan.ListGenerator{Elements: []runtime.RawExtension{appSetRaw(`{"cluster":"dev","url":"https://dev.example.com"}`)}}
}

func appSetGitGenerator() *capstan.GitGenerator {
	return &capstan.GitGenerator{
		RepoURL:     "https://github.com/example/gitops.git",
		Revision:    "HEAD",
		Directories: []capstan.GitDirectoryGeneratorItem{{Path: "apps/*"}},
	}
}

// validApplicationSet is a minimal valid ApplicationSet whose template relies
// on generator parameters for everything but its name.
func validApplicationSet() *capstan.ApplicationSet {
	return &capstan.ApplicationSet{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: capstan.ApplicationSetSpec{
			GoTemplate: true,
			Generators: []capstan.ApplicationSetGenerator{{List: appSetListGenerator()}},
			Template: capstan.ApplicationSetTemplate{
				Metadata: capstan.ApplicationSetTemplateMeta{Name: "guestbook-{{.cluster}}"},
			},
		},
	}
}

func appSetPtr[T any](v T) *T { return &v }

// withGitGenerator makes the first generator a git generator changed by mutate.
func withGitGenerator(mutate func(*capstan.GitGenerator)) func(*capstan.ApplicationSet) {
	return func(a *capstan.ApplicationSet) {
		g := appSetGitGenerator()
		mutate(g)
		a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Git: g}
	}
}

func TestValidateApplicationSet(t *testing.T) {
	gen0 := "spec.generators[0]"
	cases := []struct {
		name   string
		mutate func(*capstan.ApplicationSet)
		want   []appSetErr
	}{
		// metadata
		{name: "a minimal ApplicationSet is valid", mutate: func(*capstan.ApplicationSet) {}},
		{name: "a name that is not a DNS subdomain is refused",
			mutate: func(a *capstan.ApplicationSet) { a.Name = "Guest_Book" },
			want:   []appSetErr{{field.ErrorTypeInvalid, "metadata.name"}}},
		{name: "a missing namespace is refused",
			mutate: func(a *capstan.ApplicationSet) { a.Namespace = "" },
			want:   []appSetErr{{field.ErrorTypeRequired, "metadata.namespace"}}},

		// generators
		{name: "an ApplicationSet without generators is refused",
			mutate: func(a *capstan.ApplicationSet) { a.Spec.Generators = nil },
			want:   []appSetErr{{field.ErrorTypeRequired, "spec.generators"}}},
		{name: "a generator entry with a selector beside its generator is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0].Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"cluster": "dev"}}
			}},
		{name: "a generator entry with only a selector is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Selector: &metav1.LabelSelector{}}
			},
			want: []appSetErr{{field.ErrorTypeRequired, gen0}}},
		{name: "a generator entry with two generators is refused",
			mutate: func(a *capstan.ApplicationSet) { a.Spec.Generators[0].Clusters = &capstan.ClusterGenerator{} },
			want:   []appSetErr{{field.ErrorTypeForbidden, gen0 + ".clusters"}}},

		// list
		{name: "list elements that are not JSON objects are refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0].List.Elements = append(a.Spec.Generators[0].List.Elements, appSetRaw(`"dev"`), appSetRaw(`[1]`))
			},
			want: []appSetErr{
				{field.ErrorTypeInvalid, gen0 + ".list.elements[1]"},
				{field.ErrorTypeInvalid, gen0 + ".list.elements[2]"},
			}},

		// git
		{name: "a git files generator is valid",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) {
				g.Directories, g.Files = nil, []capstan.GitFileGeneratorItem{{Path: "clusters/*.yaml"}}
			})},
		{name: "a git generator without repoURL is refused",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) { g.RepoURL = "" }),
			want:   []appSetErr{{field.ErrorTypeRequired, gen0 + ".git.repoURL"}}},
		{name: "a git generator repoURL with a password is refused",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) { g.RepoURL = "https://bob:hunter2@github.com/example/gitops.git" }),
			want:   []appSetErr{{field.ErrorTypeInvalid, gen0 + ".git.repoURL"}}},
		{name: "a git generator repoURL with a fragment is refused",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) { g.RepoURL = "https://github.com/example/gitops.git#/../other" }),
			want:   []appSetErr{{field.ErrorTypeInvalid, gen0 + ".git.repoURL"}}},
		{name: "a templated git generator repoURL is left to the generated value",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) { g.RepoURL = "{{ .repo }}" })},
		{name: "a template source repoURL with a fragment is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Template.Spec.Source = &capstan.ApplicationSource{RepoURL: "https://github.com/team-a/apps#/../team-b", Path: "{{.path}}"}
			},
			want: []appSetErr{{field.ErrorTypeInvalid, "spec.template.spec.source.repoURL"}}},
		{name: "a template source repoURL with a password is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Template.Spec.Sources = capstan.ApplicationSources{
					{RepoURL: "https://github.com/org/apps.git", Path: "a"},
					{RepoURL: "https://bob:hunter2@github.com/org/values.git", Ref: "values"},
				}
			},
			want: []appSetErr{{field.ErrorTypeInvalid, "spec.template.spec.sources[1].repoURL"}}},
		{name: "a templated template source repoURL is left to the generated Application",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Template.Spec.Source = &capstan.ApplicationSource{RepoURL: "{{.url}}", Path: "{{.path}}"}
			}},
		{name: "a git generator without directories or files is refused",
			mutate: withGitGenerator(func(g *capstan.GitGenerator) { g.Directories = nil }),
			want:   []appSetErr{{field.ErrorTypeRequired, gen0 + ".git"}}},

		// scmProvider, pullRequest, clusterDecisionResource, plugin
		{name: "an scmProvider generator with one provider is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{SCMProvider: &capstan.SCMProviderGenerator{
					Github: &capstan.SCMProviderGeneratorGithub{Organization: "example"}}}
			}},
		{name: "an scmProvider generator without a provider is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{SCMProvider: &capstan.SCMProviderGenerator{}}
			},
			want: []appSetErr{{field.ErrorTypeRequired, gen0 + ".scmProvider"}}},
		{name: "an awsCodeCommit generator with a region, a role ARN, tags and a Secret is valid",
			mutate: withCodeCommit(capstan.SCMProviderGeneratorAWSCodeCommit{Region: "eu-central-1", Role: "arn:aws:iam::111122223333:role/scan",
				TagFilters: []capstan.TagFilter{{Key: "team", Value: "a"}}, CredentialsSecretName: "aws-key"})},
		{name: "an awsCodeCommit region of a newer partition is valid",
			mutate: withCodeCommit(capstan.SCMProviderGeneratorAWSCodeCommit{Region: "eusc-de-east-1"})},
		{name: "an awsCodeCommit generator's templated region is left to the generated value",
			mutate: withCodeCommit(capstan.SCMProviderGeneratorAWSCodeCommit{Region: "{{.region}}"})},
		{name: "an awsCodeCommit region that is not a region name is refused (it becomes the endpoint's host)",
			mutate: withCodeCommit(capstan.SCMProviderGeneratorAWSCodeCommit{Region: "evil.example/#"}),
			want:   []appSetErr{{field.ErrorTypeInvalid, gen0 + ".scmProvider.awsCodeCommit.region"}}},
		{name: "an awsCodeCommit role that is not an ARN, a tag without key and a malformed Secret name are refused",
			mutate: withCodeCommit(capstan.SCMProviderGeneratorAWSCodeCommit{Role: "scan", TagFilters: []capstan.TagFilter{{Value: "a"}}, CredentialsSecretName: "Bad_Name"}),
			want: []appSetErr{{field.ErrorTypeInvalid, gen0 + ".scmProvider.awsCodeCommit.role"},
				{field.ErrorTypeInvalid, gen0 + ".scmProvider.awsCodeCommit.credentialsSecretName"},
				{field.ErrorTypeRequired, gen0 + ".scmProvider.awsCodeCommit.tagFilters[0].key"}}},
		{name: "a pullRequest generator with two providers is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{PullRequest: &capstan.PullRequestGenerator{
					Github: &capstan.PullRequestGeneratorGithub{Owner: "example", Repo: "app"},
					Gitlab: &capstan.PullRequestGeneratorGitLab{Project: "example/app"}}}
			},
			want: []appSetErr{{field.ErrorTypeForbidden, gen0 + ".pullRequest.gitlab"}}},
		{name: "a clusterDecisionResource generator without configMapRef is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{ClusterDecisionResource: &capstan.DuckTypeGenerator{Name: "placement"}}
			},
			want: []appSetErr{{field.ErrorTypeRequired, gen0 + ".clusterDecisionResource.configMapRef"}}},
		{name: "a plugin generator without a ConfigMap name is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Plugin: &capstan.PluginGenerator{}}
			},
			want: []appSetErr{{field.ErrorTypeRequired, gen0 + ".plugin.configMapRef.name"}}},

		// matrix and merge
		{name: "a matrix of two generators is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{Git: appSetGitGenerator()}, {List: appSetListGenerator()}}}}
			}},
		{name: "a matrix of three generators is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{List: appSetListGenerator()}, {List: appSetListGenerator()}, {List: appSetListGenerator()}}}}
			},
			want: []appSetErr{{field.ErrorTypeTooMany, gen0 + ".matrix.generators"}}},
		{name: "a matrix of one generator is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{List: appSetListGenerator()}}}}
			},
			want: []appSetErr{{field.ErrorTypeTooFew, gen0 + ".matrix.generators"}}},
		{name: "a matrix child with two generators is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{List: appSetListGenerator(), Git: appSetGitGenerator()}, {List: appSetListGenerator()}}}}
			},
			want: []appSetErr{{field.ErrorTypeForbidden, gen0 + ".matrix.generators[0].git"}}},
		{name: "a merge of two generators on a key is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Merge: &capstan.MergeGenerator{
					MergeKeys:  []string{"cluster"},
					Generators: []capstan.ApplicationSetNestedGenerator{{Clusters: &capstan.ClusterGenerator{}}, {List: appSetListGenerator()}}}}
			}},
		{name: "a merge of one generator without merge keys is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Merge: &capstan.MergeGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{List: appSetListGenerator()}}}}
			},
			want: []appSetErr{
				{field.ErrorTypeTooFew, gen0 + ".merge.generators"},
				{field.ErrorTypeRequired, gen0 + ".merge.mergeKeys"},
			}},

		// nesting through raw JSON
		{name: "a merge nested in a matrix is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{Git: appSetGitGenerator()},
						{Merge: appSetRawPtr(`{"mergeKeys":["server"],"generators":[{"clusters":{"values":{"tier":"a"}}},{"list":{"elements":[{"server":"x"}]}}]}`)},
					}}}
			}},
		{name: "a matrix nested three levels deep is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{Git: appSetGitGenerator()},
						{Matrix: appSetRawPtr(`{"generators":[{"matrix":{"generators":[]}},{"list":{"elements":[]}}]}`)},
					}}}
			},
			want: []appSetErr{{field.ErrorTypeForbidden, gen0 + ".matrix.generators[1].matrix.generators[0].matrix"}}},
		{name: "a nested matrix of one generator is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Merge: &capstan.MergeGenerator{
					MergeKeys: []string{"cluster"},
					Generators: []capstan.ApplicationSetNestedGenerator{
						{List: appSetListGenerator()},
						{Matrix: appSetRawPtr(`{"generators":[{"list":{"elements":[]}}]}`)},
					}}}
			},
			want: []appSetErr{{field.ErrorTypeTooFew, gen0 + ".merge.generators[1].matrix.generators"}}},
		{name: "a nested merge without merge keys is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{List: appSetListGenerator()},
						{Merge: appSetRawPtr(`{"generators":[{"list":{"elements":[]}},{"list":{"elements":[]}}]}`)},
					}}}
			},
			want: []appSetErr{{field.ErrorTypeRequired, gen0 + ".matrix.generators[1].merge.mergeKeys"}}},
		{name: "a nested generator is validated at its path",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{List: appSetListGenerator()},
						{Matrix: appSetRawPtr(`{"generators":[{"git":{"repoURL":"","revision":"HEAD","files":[{"path":"a.json"}]}},{"list":{"elements":["x"]}}]}`)},
					}}}
			},
			want: []appSetErr{
				{field.ErrorTypeRequired, gen0 + ".matrix.generators[1].matrix.generators[0].git.repoURL"},
				{field.ErrorTypeInvalid, gen0 + ".matrix.generators[1].matrix.generators[1].list.elements[0]"},
			}},
		{name: "a nested child with two generators is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{List: appSetListGenerator()},
						{Matrix: appSetRawPtr(`{"generators":[{"list":{"elements":[]},"clusters":{}},{"list":{"elements":[]}}]}`)},
					}}}
			},
			want: []appSetErr{{field.ErrorTypeForbidden, gen0 + ".matrix.generators[1].matrix.generators[0].clusters"}}},
		{name: "an unknown field in a nested generator is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{
						{List: appSetListGenerator()},
						{Matrix: appSetRawPtr(`{"generators":[{"list":{"elements":[],"element":[]}},{"list":{"elements":[]}}]}`)},
					}}}
			},
			want: []appSetErr{{field.ErrorTypeForbidden, gen0 + ".matrix.generators[1].matrix.generators[0].list.element"}}},
		{name: "a nested matrix that is not an object is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators[0] = capstan.ApplicationSetGenerator{Matrix: &capstan.MatrixGenerator{
					Generators: []capstan.ApplicationSetNestedGenerator{{List: appSetListGenerator()}, {Matrix: appSetRawPtr(`["list"]`)}}}}
			},
			want: []appSetErr{{field.ErrorTypeInvalid, gen0 + ".matrix.generators[1].matrix"}}},

		// goTemplateOptions and templatePatch
		{name: "goTemplateOptions missingkey=error is valid",
			mutate: func(a *capstan.ApplicationSet) { a.Spec.GoTemplateOptions = []string{"missingkey=error"} }},
		{name: "an unknown goTemplateOption is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.GoTemplateOptions = []string{"missingkey=zero", "missingkey=panic"}
			},
			want: []appSetErr{{field.ErrorTypeNotSupported, "spec.goTemplateOptions[1]"}}},
		{name: "templatePatch with goTemplate is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.TemplatePatch = appSetPtr("spec:\n  project: '{{.project}}'\n")
			}},
		{name: "templatePatch without goTemplate is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.GoTemplate = false
				a.Spec.TemplatePatch = appSetPtr("spec:\n  project: '{{.project}}'\n")
			},
			want: []appSetErr{{field.ErrorTypeForbidden, "spec.templatePatch"}}},
		{name: "a template made of parameters is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Template.Spec.Project = "{{.project}}"
				a.Spec.Template.Metadata.Labels = map[string]string{"team": "{{.team}}"}
			}},

		// syncPolicy
		{name: "applicationsSync create-only is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.SyncPolicy = &capstan.ApplicationSetSyncPolicy{ApplicationsSync: appSetPtr(capstan.ApplicationsSyncPolicyCreateOnly)}
			}},
		{name: "an unknown applicationsSync is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.SyncPolicy = &capstan.ApplicationSetSyncPolicy{ApplicationsSync: appSetPtr(capstan.ApplicationsSyncPolicy("delete-only"))}
			},
			want: []appSetErr{{field.ErrorTypeNotSupported, "spec.syncPolicy.applicationsSync"}}},

		// strategy
		{name: "a RollingSync strategy is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Strategy = &capstan.ApplicationSetStrategy{
					Type:          "RollingSync",
					DeletionOrder: "Reverse",
					RollingSync: &capstan.ApplicationSetRolloutStrategy{Steps: []capstan.ApplicationSetRolloutStep{
						{MatchExpressions: []capstan.ApplicationMatchExpression{{Key: "env", Operator: "In", Values: []string{"dev"}}}},
						{MatchExpressions: []capstan.ApplicationMatchExpression{{Key: "env", Operator: "NotIn", Values: []string{"dev"}}},
							MaxUpdate: appSetPtr(intstr.FromString("25%"))},
						{MaxUpdate: appSetPtr(intstr.FromInt32(0))},
					}},
				}
			}},
		{name: "an unknown strategy type and deletion order are refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Strategy = &capstan.ApplicationSetStrategy{Type: "Canary", DeletionOrder: "Random"}
			},
			want: []appSetErr{
				{field.ErrorTypeNotSupported, "spec.strategy.type"},
				{field.ErrorTypeNotSupported, "spec.strategy.deletionOrder"},
			}},
		{name: "a matchExpressions operator other than In or NotIn is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Strategy = &capstan.ApplicationSetStrategy{Type: "RollingSync", RollingSync: &capstan.ApplicationSetRolloutStrategy{
					Steps: []capstan.ApplicationSetRolloutStep{{MatchExpressions: []capstan.ApplicationMatchExpression{{Key: "env", Operator: "Exists"}}}}}}
			},
			want: []appSetErr{{field.ErrorTypeNotSupported, "spec.strategy.rollingSync.steps[0].matchExpressions[0].operator"}}},
		{name: "a negative or malformed maxUpdate is refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Strategy = &capstan.ApplicationSetStrategy{Type: "RollingSync", RollingSync: &capstan.ApplicationSetRolloutStrategy{
					Steps: []capstan.ApplicationSetRolloutStep{
						{MaxUpdate: appSetPtr(intstr.FromInt32(-1))},
						{MaxUpdate: appSetPtr(intstr.FromString("-5%"))},
						{MaxUpdate: appSetPtr(intstr.FromString("two"))},
					}}}
			},
			want: []appSetErr{
				{field.ErrorTypeInvalid, "spec.strategy.rollingSync.steps[0].maxUpdate"},
				{field.ErrorTypeInvalid, "spec.strategy.rollingSync.steps[1].maxUpdate"},
				{field.ErrorTypeInvalid, "spec.strategy.rollingSync.steps[2].maxUpdate"},
			}},

		// ignoreApplicationDifferences
		{name: "JSON pointers and jq path expressions that parse are valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.IgnoreApplicationDifferences = []capstan.ApplicationSetResourceIgnoreDifferences{{
					JSONPointers:      []string{"/spec/source/targetRevision", "/metadata/annotations/a~1b"},
					JQPathExpressions: []string{".spec.source.helm.values", `.spec.sources[] | select(.repoURL == "x") | .targetRevision`},
				}}
			}},
		{name: "malformed JSON pointers and jq expressions are refused",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.IgnoreApplicationDifferences = []capstan.ApplicationSetResourceIgnoreDifferences{{
					Name:              "guestbook-dev",
					JSONPointers:      []string{"spec/source", "/a~2b"},
					JQPathExpressions: []string{".spec.source[", ""},
				}}
			},
			want: []appSetErr{
				{field.ErrorTypeInvalid, "spec.ignoreApplicationDifferences[0].jsonPointers[0]"},
				{field.ErrorTypeInvalid, "spec.ignoreApplicationDifferences[0].jsonPointers[1]"},
				{field.ErrorTypeInvalid, "spec.ignoreApplicationDifferences[0].jqPathExpressions[0]"},
				{field.ErrorTypeInvalid, "spec.ignoreApplicationDifferences[0].jqPathExpressions[1]"},
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			appSet := validApplicationSet()
			tc.mutate(appSet)
			assertAppSetErrors(t, ValidateApplicationSet(appSet), tc.want)
		})
	}
}

func TestValidateApplicationSetUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*capstan.ApplicationSet)
		want   []appSetErr
	}{
		{name: "changing the generators is valid",
			mutate: func(a *capstan.ApplicationSet) {
				a.Spec.Generators = append(a.Spec.Generators, capstan.ApplicationSetGenerator{Git: appSetGitGenerator()})
			}},
		{name: "renaming is refused",
			mutate: func(a *capstan.ApplicationSet) { a.Name = "other" },
			want:   []appSetErr{{field.ErrorTypeInvalid, "metadata.name"}}},
		{name: "an update must leave a valid spec",
			mutate: func(a *capstan.ApplicationSet) { a.Spec.Generators = nil },
			want:   []appSetErr{{field.ErrorTypeRequired, "spec.generators"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldObj := validApplicationSet()
			oldObj.ResourceVersion = "1"
			newObj := oldObj.DeepCopy()
			tc.mutate(newObj)
			assertAppSetErrors(t, ValidateApplicationSetUpdate(newObj, oldObj), tc.want)
		})
	}
}

// TestApplicationSetManifests decodes the SEED.md ApplicationSets (and a
// manifest using every generator) strictly into v1alpha1, converts them to the
// internal version through the scheme and validates them.
func TestApplicationSetManifests(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	files, err := filepath.Glob(filepath.Join("testdata", "seed", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("testdata", "applicationset-all-generators.yaml"))
	if len(files) < 4 {
		t.Fatalf("found only %v", files)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var versioned v1alpha1.ApplicationSet
			if err := yaml.UnmarshalStrict(data, &versioned); err != nil {
				t.Fatalf("strict decode: %v", err)
			}
			if versioned.APIVersion != "capstan.dev/v1alpha1" || versioned.Kind != "ApplicationSet" {
				t.Fatalf("got %s %s", versioned.APIVersion, versioned.Kind)
			}
			var internal capstan.ApplicationSet
			if err := scheme.Convert(&versioned, &internal, nil); err != nil {
				t.Fatalf("convert: %v", err)
			}
			if errs := ValidateApplicationSet(&internal); len(errs) > 0 {
				t.Fatalf("validation: %v", errs)
			}
		})
	}
}

// withCodeCommit makes the first generator an awsCodeCommit SCM provider.
func withCodeCommit(g capstan.SCMProviderGeneratorAWSCodeCommit) func(*capstan.ApplicationSet) {
	return func(a *capstan.ApplicationSet) {
		a.Spec.Generators[0] = capstan.ApplicationSetGenerator{SCMProvider: &capstan.SCMProviderGenerator{AWSCodeCommit: &g}}
	}
}
