package render

import (
	"strings"
	"testing"
	"testing/fstest"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

func TestSourceType(t *testing.T) {
	chart := &fstest.MapFile{Data: []byte("apiVersion: v2\nname: x\nversion: 0.1.0\n")}
	kustomization := &fstest.MapFile{Data: []byte("resources: []\n")}
	tests := []struct {
		name   string
		files  fstest.MapFS
		source v1alpha1.ApplicationSource
		want   v1alpha1.ApplicationSourceType
		err    string
	}{
		{name: "a Chart.yaml makes a Helm source", files: fstest.MapFS{"app/Chart.yaml": chart}, want: v1alpha1.ApplicationSourceTypeHelm},
		{name: "any file ending in Chart.yaml makes a Helm source, as in Argo CD", files: fstest.MapFS{"app/MyChart.yaml": chart}, want: v1alpha1.ApplicationSourceTypeHelm},
		{name: "kustomization.yaml makes a Kustomize source", files: fstest.MapFS{"app/kustomization.yaml": kustomization}, want: v1alpha1.ApplicationSourceTypeKustomize},
		{name: "kustomization.yml makes a Kustomize source", files: fstest.MapFS{"app/kustomization.yml": kustomization}, want: v1alpha1.ApplicationSourceTypeKustomize},
		{name: "Kustomization makes a Kustomize source", files: fstest.MapFS{"app/Kustomization": kustomization}, want: v1alpha1.ApplicationSourceTypeKustomize},
		{name: "a kustomization wins over a Chart.yaml", files: fstest.MapFS{"app/Chart.yaml": chart, "app/kustomization.yaml": kustomization}, want: v1alpha1.ApplicationSourceTypeKustomize},
		{name: "files in subdirectories do not count", files: fstest.MapFS{"app/sub/Chart.yaml": chart}, want: v1alpha1.ApplicationSourceTypeDirectory},
		{name: "anything else is a Directory", files: fstest.MapFS{"app/a.yaml": kustomization}, want: v1alpha1.ApplicationSourceTypeDirectory},
		{
			name: "an explicit directory block wins over a Chart.yaml", files: fstest.MapFS{"app/Chart.yaml": chart},
			source: v1alpha1.ApplicationSource{Directory: &v1alpha1.ApplicationSourceDirectory{Recurse: true}}, want: v1alpha1.ApplicationSourceTypeDirectory,
		},
		{
			name: "an empty helm block does not force Helm", files: fstest.MapFS{"app/kustomization.yaml": kustomization},
			source: v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{}}, want: v1alpha1.ApplicationSourceTypeKustomize,
		},
		{
			name: "two option blocks are an error", files: fstest.MapFS{"app/a.yaml": kustomization},
			source: v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{ReleaseName: "x"}, Kustomize: &v1alpha1.ApplicationSourceKustomize{NamePrefix: "x"}},
			err:    "multiple application sources defined: Kustomize,Helm",
		},
		{
			name: ".argocd-source.yaml overrides parameters before detection", files: fstest.MapFS{
				"app/Chart.yaml":          chart,
				"app/.argocd-source.yaml": {Data: []byte("directory:\n  recurse: true\n")},
			}, want: v1alpha1.ApplicationSourceTypeDirectory,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &Request{Source: tt.source, Repo: tt.files, AppName: "guestbook"}
			req.Source.Path = "app"
			job, err := NewRenderer(Options{}).prepare(req)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if job.sourceType != tt.want {
				t.Errorf("source type %s, want %s", job.sourceType, tt.want)
			}
		})
	}
}

func TestSourceParameterOverrides(t *testing.T) {
	files := fstest.MapFS{
		"app/Chart.yaml":                    {Data: []byte("apiVersion: v2\nname: x\nversion: 0.1.0\n")},
		"app/.argocd-source.yaml":           {Data: []byte("path: elsewhere\nhelm:\n  releaseName: from-repo-file\n  parameters:\n  - name: a\n    value: repo\n")},
		"app/.argocd-source-guestbook.yaml": {Data: []byte("helm:\n  releaseName: from-app-file\n")},
	}
	job, err := NewRenderer(Options{}).prepare(&Request{Source: v1alpha1.ApplicationSource{Path: "app"}, Repo: files, AppName: "guestbook"})
	if err != nil {
		t.Fatal(err)
	}
	if job.source.Path != "app" || job.source.Helm == nil || job.source.Helm.ReleaseName != "from-app-file" || len(job.source.Helm.Parameters) != 1 {
		t.Errorf("merged source %+v, helm %+v", job.source, job.source.Helm)
	}
}

func TestBuildEnvironment(t *testing.T) {
	env := newBuildEnv(&Request{
		Source:   v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/repo.git", Path: "apps/x", TargetRevision: "main"},
		Revision: testRevision, AppName: "guestbook", DestinationNamespace: "web", Project: "team",
	})
	tests := []struct{ in, want string }{
		{"$ARGOCD_APP_NAME", "guestbook"},
		{"${ARGOCD_APP_NAMESPACE}", "web"},
		{"$ARGOCD_APP_PROJECT_NAME", "team"},
		{"$ARGOCD_APP_REVISION", testRevision},
		{"${ARGOCD_APP_REVISION_SHORT}", "3f2a1c9"},
		{"${ARGOCD_APP_REVISION_SHORT_8}", "3f2a1c9d"},
		{"$ARGOCD_APP_SOURCE_REPO_URL", "https://git.example.com/repo.git"},
		{"$ARGOCD_APP_SOURCE_PATH", "apps/x"},
		{"$ARGOCD_APP_SOURCE_TARGET_REVISION", "main"},
		{"$$ARGOCD_APP_NAME", "$ARGOCD_APP_NAME"},
		{"${KUBE_VERSION}|$UNKNOWN", "|"},
		{"no variables", "no variables"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" expands to "+tt.want, func(t *testing.T) {
			if got := env.substitute(tt.in); got != tt.want {
				t.Errorf("got %q", got)
			}
		})
	}
}
