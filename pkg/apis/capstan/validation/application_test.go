package validation

import (
	"os"
	"path/filepath"
	"strings"
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

// validApplication returns the smallest Application that passes validation.
func validApplication() *capstan.Application {
	return &capstan.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: capstan.ApplicationSpec{
			Project: "default",
			Source: &capstan.ApplicationSource{
				RepoURL:        "https://github.com/argoproj/argocd-example-apps.git",
				Path:           "guestbook",
				TargetRevision: "HEAD",
			},
			Destination: capstan.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "guestbook"},
		},
	}
}

// multiSource replaces the Application's source with two sources, the second a ref-only one.
func multiSource(a *capstan.Application) {
	a.Spec.Sources = capstan.ApplicationSources{
		{RepoURL: "https://charts.example.com", Chart: "web", TargetRevision: "1.2.3", Name: "chart",
			Helm: &capstan.ApplicationSourceHelm{ValueFiles: []string{"$values/web/values.yaml"}}},
		{RepoURL: "git@github.com:org/config.git", Ref: "values", Name: "values"},
	}
	a.Spec.Source = nil
}

func int64Ptr(v int64) *int64 { return &v }

func TestValidateApplication(t *testing.T) {
	src := func(a *capstan.Application) *capstan.ApplicationSource { return a.Spec.Source }
	cases := []struct {
		name   string
		mutate func(*capstan.Application)
		want   []wantErr
	}{
		{name: "a minimal Application is valid", mutate: func(*capstan.Application) {}},

		// metadata
		{name: "a name that is not a DNS subdomain is refused",
			mutate: func(a *capstan.Application) { a.Name = "Guest_Book" },
			want:   []wantErr{{field.ErrorTypeInvalid, "metadata.name"}}},
		{name: "a missing namespace is refused",
			mutate: func(a *capstan.Application) { a.Namespace = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "metadata.namespace"}}},

		// project
		{name: "an empty project is refused, not defaulted",
			mutate: func(a *capstan.Application) { a.Spec.Project = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.project"}}},

		// source choice
		{name: "an Application without any source is refused",
			mutate: func(a *capstan.Application) { a.Spec.Source = nil },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.source"}}},
		{name: "source and sources together are refused",
			mutate: func(a *capstan.Application) {
				s := *a.Spec.Source
				multiSource(a)
				a.Spec.Source = &s
			},
			want: []wantErr{{field.ErrorTypeForbidden, "spec.sources"}}},
		{name: "sourceHydrator together with source is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.SourceHydrator = &capstan.SourceHydrator{
					DrySource:  capstan.DrySource{RepoURL: "https://github.com/org/dry.git", TargetRevision: "main", Path: "apps/web"},
					SyncSource: capstan.SyncSource{TargetBranch: "env/prod", Path: "apps/web"},
				}
			},
			want: []wantErr{{field.ErrorTypeForbidden, "spec.sourceHydrator"}}},
		{name: "a sourceHydrator alone is valid",
			mutate: func(a *capstan.Application) {
				a.Spec.Source = nil
				a.Spec.SourceHydrator = &capstan.SourceHydrator{
					DrySource:  capstan.DrySource{RepoURL: "https://github.com/org/dry.git", TargetRevision: "main", Path: "apps/web"},
					SyncSource: capstan.SyncSource{TargetBranch: "env/prod", Path: "apps/web"},
					HydrateTo:  &capstan.HydrateTo{TargetBranch: "env/prod-next"},
				}
			}},
		{name: "a sourceHydrator without sync branch and staging branch is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.Source = nil
				a.Spec.SourceHydrator = &capstan.SourceHydrator{
					DrySource:  capstan.DrySource{RepoURL: "https://github.com/org/dry.git", TargetRevision: "main", Path: "apps/web"},
					SyncSource: capstan.SyncSource{Path: "apps/web"},
					HydrateTo:  &capstan.HydrateTo{},
				}
			},
			want: []wantErr{
				{field.ErrorTypeRequired, "spec.sourceHydrator.syncSource.targetBranch"},
				{field.ErrorTypeRequired, "spec.sourceHydrator.hydrateTo.targetBranch"},
			}},

		// multi-source
		{name: "a multi-source Application with a ref-only source is valid", mutate: multiSource},
		{name: "duplicate refs are refused",
			mutate: func(a *capstan.Application) {
				multiSource(a)
				a.Spec.Sources = append(a.Spec.Sources, capstan.ApplicationSource{RepoURL: "https://github.com/org/other.git", Ref: "values"})
			},
			want: []wantErr{{field.ErrorTypeDuplicate, "spec.sources[2].ref"}}},
		{name: "a ref that cannot be written as $ref/path is refused",
			mutate: func(a *capstan.Application) { multiSource(a); a.Spec.Sources[1].Ref = "my/values" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.sources[1].ref"}}},
		{name: "duplicate source names are refused",
			mutate: func(a *capstan.Application) { multiSource(a); a.Spec.Sources[1].Name = "chart" },
			want:   []wantErr{{field.ErrorTypeDuplicate, "spec.sources[1].name"}}},

		// repoURL
		{name: "an empty repoURL is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.source.repoURL"}}},
		{name: "an scp-like Git URL is valid",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "git@github.com:org/repo.git" }},
		{name: "an ssh URL is valid",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "ssh://git@github.com/org/repo.git" }},
		{name: "a file URL is valid",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "file:///srv/git/repo.git" }},
		{name: "an OCI artifact needs no path",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "oci://ghcr.io/org/manifests"; src(a).Path = "" }},
		{name: "a Helm OCI registry without scheme is valid for a chart",
			mutate: func(a *capstan.Application) {
				src(a).RepoURL, src(a).Chart, src(a).Path, src(a).TargetRevision = "registry-1.docker.io/bitnamicharts", "nginx", "", "15.0.0"
			}},
		{name: "a URL without scheme is refused for a Git source",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "github.com/org/repo" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "an unsupported scheme is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "ftp://example.com/repo.git" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a URL without host is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https:///repo.git" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with a fragment is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://github.com/team-a/repo#/../../team-b/repo" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with an empty fragment is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://github.com/org/repo.git#" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with a password in its userinfo is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://user:hunter2@github.com/org/repo.git" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "an ssh repoURL with a password is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "ssh://git:hunter2@github.com/org/repo.git" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with a query is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://github.com/org/repo.git?ref=main" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with a '..' segment is refused",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://github.com/team-a/../team-b/repo.git" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.repoURL"}}},
		{name: "a repoURL with a user but no password is valid",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "https://deploy@github.com/org/repo.git" }},
		{name: "an scp-like repoURL with a port-like path is valid",
			mutate: func(a *capstan.Application) { src(a).RepoURL = "git@gitlab.example.com:group/sub/repo.git" }},
		{name: "a Helm repoURL with oci:// is valid for a chart",
			mutate: func(a *capstan.Application) {
				src(a).RepoURL, src(a).Chart, src(a).Path, src(a).TargetRevision = "oci://ghcr.io/org/charts", "web", "", "1.0.0"
			}},
		{name: "a Helm OCI repoURL without scheme but with a port is valid for a chart",
			mutate: func(a *capstan.Application) {
				src(a).RepoURL, src(a).Chart, src(a).Path, src(a).TargetRevision = "registry.example.com:5000/charts", "web", "", "1.0.0"
			}},
		{name: "a fragment in the second of several sources is refused",
			mutate: func(a *capstan.Application) {
				multiSource(a)
				a.Spec.Sources[1].RepoURL = "git@github.com:org/config.git#main"
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.sources[1].repoURL"}}},

		// path and chart
		{name: "chart and path together are refused",
			mutate: func(a *capstan.Application) { src(a).Chart = "nginx" },
			want:   []wantErr{{field.ErrorTypeForbidden, "spec.source.path"}}},
		{name: "neither path nor chart is refused",
			mutate: func(a *capstan.Application) { src(a).Path = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.source.path"}}},
		{name: "a chart without version is refused",
			mutate: func(a *capstan.Application) {
				src(a).RepoURL, src(a).Chart, src(a).Path, src(a).TargetRevision = "https://charts.bitnami.com/bitnami", "nginx", "", ""
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.targetRevision"}}},
		{name: "a path leaving the repository is refused",
			mutate: func(a *capstan.Application) { src(a).Path = "apps/../../etc" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.source.path"}}},

		// tools
		{name: "two rendering tools are refused",
			mutate: func(a *capstan.Application) {
				src(a).Helm = &capstan.ApplicationSourceHelm{}
				src(a).Kustomize = &capstan.ApplicationSourceKustomize{}
			},
			want: []wantErr{{field.ErrorTypeForbidden, "spec.source.kustomize"}}},
		{name: "a Helm parameter without name is refused",
			mutate: func(a *capstan.Application) {
				src(a).Helm = &capstan.ApplicationSourceHelm{Parameters: []capstan.HelmParameter{{Value: "1.25"}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.helm.parameters[0].name"}}},
		{name: "a Helm file parameter without path is refused",
			mutate: func(a *capstan.Application) {
				src(a).Helm = &capstan.ApplicationSourceHelm{FileParameters: []capstan.HelmFileParameter{{Name: "config"}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.helm.fileParameters[0].path"}}},
		{name: "Helm valuesObject must be an object",
			mutate: func(a *capstan.Application) {
				src(a).Helm = &capstan.ApplicationSourceHelm{ValuesObject: &runtime.RawExtension{Raw: []byte(`["a"]`)}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.source.helm.valuesObject"}}},
		{name: "Kustomize replicas with a name and a numeric string count are valid",
			mutate: func(a *capstan.Application) {
				src(a).Kustomize = &capstan.ApplicationSourceKustomize{Replicas: capstan.KustomizeReplicas{{Name: "web", Count: intstr.FromString("3")}}}
			}},
		{name: "a Kustomize replica without name or with a negative count is refused",
			mutate: func(a *capstan.Application) {
				src(a).Kustomize = &capstan.ApplicationSourceKustomize{Replicas: capstan.KustomizeReplicas{
					{Count: intstr.FromInt32(1)}, {Name: "web", Count: intstr.FromInt32(-1)}, {Name: "api", Count: intstr.FromString("many")},
				}}
			},
			want: []wantErr{
				{field.ErrorTypeRequired, "spec.source.kustomize.replicas[0].name"},
				{field.ErrorTypeInvalid, "spec.source.kustomize.replicas[1].count"},
				{field.ErrorTypeInvalid, "spec.source.kustomize.replicas[2].count"},
			}},
		{name: "a Kustomize patch without path or patch is refused",
			mutate: func(a *capstan.Application) {
				src(a).Kustomize = &capstan.ApplicationSourceKustomize{Patches: capstan.KustomizePatches{{}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.kustomize.patches[0].patch"}}},
		{name: "an invalid Kustomize common label is refused",
			mutate: func(a *capstan.Application) {
				src(a).Kustomize = &capstan.ApplicationSourceKustomize{CommonLabels: map[string]string{"env": "not valid!"}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.source.kustomize.commonLabels"}}},
		{name: "a plugin env entry without name is refused",
			mutate: func(a *capstan.Application) {
				src(a).Plugin = &capstan.ApplicationSourcePlugin{Env: capstan.Env{{Value: "x"}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.plugin.env[0].name"}}},
		{name: "a Jsonnet variable without name is refused",
			mutate: func(a *capstan.Application) {
				src(a).Directory = &capstan.ApplicationSourceDirectory{Jsonnet: capstan.ApplicationSourceJsonnet{TLAs: []capstan.JsonnetVar{{Value: "x"}}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.source.directory.jsonnet.tlas[0].name"}}},

		// destination
		{name: "a destination by name is valid",
			mutate: func(a *capstan.Application) { a.Spec.Destination.Server, a.Spec.Destination.Name = "", "in-cluster" }},
		{name: "a destination with server and name is refused",
			mutate: func(a *capstan.Application) { a.Spec.Destination.Name = "in-cluster" },
			want:   []wantErr{{field.ErrorTypeForbidden, "spec.destination.name"}}},
		{name: "a destination with neither server nor name is refused",
			mutate: func(a *capstan.Application) { a.Spec.Destination.Server = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.destination.server"}}},
		{name: "a destination server that is not a URL is refused",
			mutate: func(a *capstan.Application) { a.Spec.Destination.Server = "kubernetes.default.svc" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.destination.server"}}},
		{name: "a destination namespace that is not a DNS label is refused",
			mutate: func(a *capstan.Application) { a.Spec.Destination.Namespace = "Guest_Book" },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.destination.namespace"}}},

		// sync policy, ignoreDifferences, info, history
		{name: "an unknown sync option is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.SyncPolicy = &capstan.SyncPolicy{SyncOptions: capstan.SyncOptions{"CreateNamespace=true", "Frobnicate=true"}}
			},
			want: []wantErr{{field.ErrorTypeNotSupported, "spec.syncPolicy.syncOptions[1]"}}},
		{name: "an unparsable retry backoff is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.SyncPolicy = &capstan.SyncPolicy{Retry: &capstan.RetryStrategy{Limit: 5, Backoff: &capstan.Backoff{Duration: "5 seconds"}}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.syncPolicy.retry.backoff.duration"}}},
		{name: "an invalid managed namespace annotation key is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.SyncPolicy = &capstan.SyncPolicy{ManagedNamespaceMetadata: &capstan.ManagedNamespaceMetadata{Annotations: map[string]string{"bad key": "v"}}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.syncPolicy.managedNamespaceMetadata.annotations"}}},
		{name: "an ignoreDifferences pointer that does not start with / is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.IgnoreDifferences = capstan.IgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"spec/replicas"}}}
			},
			want: []wantErr{{field.ErrorTypeInvalid, "spec.ignoreDifferences[0].jsonPointers[0]"}}},
		{name: "a negative revisionHistoryLimit is refused",
			mutate: func(a *capstan.Application) { a.Spec.RevisionHistoryLimit = int64Ptr(-1) },
			want:   []wantErr{{field.ErrorTypeInvalid, "spec.revisionHistoryLimit"}}},
		{name: "a zero revisionHistoryLimit is valid",
			mutate: func(a *capstan.Application) { a.Spec.RevisionHistoryLimit = int64Ptr(0) }},
		{name: "an info entry without name is refused",
			mutate: func(a *capstan.Application) {
				a.Spec.Info = []capstan.Info{{Name: "Owner", Value: "team-a"}, {Value: "x"}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "spec.info[1].name"}}},

		// operation
		{name: "an empty sync operation is valid",
			mutate: func(a *capstan.Application) { a.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{}} }},
		{name: "an operation without sync is refused",
			mutate: func(a *capstan.Application) { a.Operation = &capstan.Operation{} },
			want:   []wantErr{{field.ErrorTypeRequired, "operation.sync"}}},
		{name: "an operation with both sync strategies, an incomplete resource and a bad option is refused",
			mutate: func(a *capstan.Application) {
				a.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{
					SyncStrategy: &capstan.SyncStrategy{Apply: &capstan.SyncStrategyApply{}, Hook: &capstan.SyncStrategyHook{}},
					Resources:    []capstan.SyncOperationResource{{Name: "web"}},
					SyncOptions:  capstan.SyncOptions{"Validate"},
				}}
			},
			want: []wantErr{
				{field.ErrorTypeForbidden, "operation.sync.syncStrategy.hook"},
				{field.ErrorTypeRequired, "operation.sync.resources[0].kind"},
				{field.ErrorTypeInvalid, "operation.sync.syncOptions[0]"},
			}},
		{name: "an operation whose source override is invalid is refused",
			mutate: func(a *capstan.Application) {
				a.Operation = &capstan.Operation{Sync: &capstan.SyncOperation{Source: &capstan.ApplicationSource{Path: "guestbook"}}}
			},
			want: []wantErr{{field.ErrorTypeRequired, "operation.sync.source.repoURL"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := validApplication()
			tc.mutate(app)
			assertErrors(t, ValidateApplication(app), tc.want)
		})
	}
}

func TestValidateApplicationUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*capstan.Application)
		want   []wantErr
	}{
		{name: "changing the spec is allowed",
			mutate: func(a *capstan.Application) {
				a.Spec.Project = "team-a"
				a.Spec.Destination = capstan.ApplicationDestination{Name: "prod", Namespace: "web"}
			}},
		{name: "renaming is refused",
			mutate: func(a *capstan.Application) { a.Name = "other" },
			want:   []wantErr{{field.ErrorTypeInvalid, "metadata.name"}}},
		{name: "an invalid new spec is refused",
			mutate: func(a *capstan.Application) { a.Spec.Project = "" },
			want:   []wantErr{{field.ErrorTypeRequired, "spec.project"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oldApp := validApplication()
			oldApp.ResourceVersion = "1"
			newApp := oldApp.DeepCopy()
			tc.mutate(newApp)
			assertErrors(t, ValidateApplicationUpdate(newApp, oldApp), tc.want)
		})
	}
}

// TestSeedManifests decodes the brief's Application and AppProject manifests
// strictly into v1alpha1, converts them to the internal version and validates them.
func TestSeedManifests(t *testing.T) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	files, err := filepath.Glob(filepath.Join("testdata", "seed-applications", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 4 {
		t.Fatalf("found %v, want the 4 manifests of the brief", files)
	}
	for _, file := range files {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var meta metav1.TypeMeta
			if err := yaml.Unmarshal(data, &meta); err != nil {
				t.Fatal(err)
			}
			switch meta.Kind {
			case "Application":
				var versioned v1alpha1.Application
				if err := yaml.UnmarshalStrict(data, &versioned); err != nil {
					t.Fatalf("strict decode: %v", err)
				}
				var internal capstan.Application
				if err := scheme.Convert(&versioned, &internal, nil); err != nil {
					t.Fatalf("convert: %v", err)
				}
				assertErrors(t, ValidateApplication(&internal), nil)
			case "AppProject":
				var versioned v1alpha1.AppProject
				if err := yaml.UnmarshalStrict(data, &versioned); err != nil {
					t.Fatalf("strict decode: %v", err)
				}
				var internal capstan.AppProject
				if err := scheme.Convert(&versioned, &internal, nil); err != nil {
					t.Fatalf("convert: %v", err)
				}
				// AppProject is cluster-scoped: the server drops the brief's
				// metadata.namespace before validation, as for every cluster-scoped kind.
				internal.Namespace = ""
				assertErrors(t, ValidateAppProject(&internal), nil)
			default:
				t.Fatalf("unexpected kind %q", meta.Kind)
			}
		})
	}
}

func TestRepoURLErrorsNameTheReasonWithoutThePassword(t *testing.T) {
	for _, tc := range []struct{ name, repoURL, reason string }{
		{"a fragment", "https://github.com/team-a/repo#/../team-b", "fragment"},
		{"a password", "https://bob:hunter2@github.com/org/repo.git", "password"},
		{"a query", "https://github.com/org/repo?token=hunter2", "query"},
		{"a bad scheme with a password", "ftp://bob:hunter2@example.com/repo", "scheme"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := validApplication()
			app.Spec.Source.RepoURL = tc.repoURL
			errs := ValidateApplication(app)
			if len(errs) != 1 || errs[0].Field != "spec.source.repoURL" {
				t.Fatalf("errors = %v", errs)
			}
			message := errs.ToAggregate().Error()
			if !strings.Contains(message, tc.reason) {
				t.Errorf("%q does not give the reason %q", message, tc.reason)
			}
			if strings.Contains(message, "hunter2") {
				t.Errorf("%q repeats the password", message)
			}
		})
	}
}
