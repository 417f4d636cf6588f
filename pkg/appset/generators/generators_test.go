package generators

import (
	"context"
	"strings"
	"testing"
	"time"

	"capstan.dev/capstan/pkg/source/git/gittest"
)

var testClusters = staticClusters{
	{Name: "in-cluster", Server: "https://kubernetes.default.svc", InCluster: true},
	{Name: "Prod-East", Server: "https://prod.example.com", Project: "team",
		Labels: map[string]string{"env": "prod"}, Annotations: map[string]string{"region": "east"}},
	{Name: "staging", Server: "https://staging.example.com", Labels: map[string]string{"env": "staging"}},
}

func TestGenerate(t *testing.T) {
	g := New(Sources{Clusters: testClusters})
	tests := []struct {
		name string
		spec string
		want []string
	}{
		{
			name: "list elements are flat string parameters, values become values.<key>",
			spec: `
generators:
- list:
    elements:
    - {cluster: dev, url: https://dev, values: {replicas: "2"}}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{`{"cluster":"dev","url":"https://dev","values.replicas":"2"}`},
		},
		{
			name: "list elements keep their structure with goTemplate, elementsYaml is appended",
			spec: `
goTemplate: true
generators:
- list:
    elements:
    - {cluster: dev, replicas: 2}
    elementsYaml: |
      - cluster: prod
        tags: [a, b]
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{`{"cluster":"dev","replicas":2}`, `{"cluster":"prod","tags":["a","b"]}`},
		},
		{
			name: "clusters without selector include the in-cluster destination",
			spec: `
generators:
- clusters: {}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"metadata.annotations.region":"east","metadata.labels.env":"prod","name":"Prod-East","nameNormalized":"prod-east","project":"team","server":"https://prod.example.com"}`,
				`{"metadata.labels.env":"staging","name":"staging","nameNormalized":"staging","project":"","server":"https://staging.example.com"}`,
				`{"name":"in-cluster","nameNormalized":"in-cluster","server":"https://kubernetes.default.svc"}`,
			},
		},
		{
			name: "clusters with a selector leave out the in-cluster destination and render values",
			spec: `
goTemplate: true
generators:
- clusters:
    selector: {matchLabels: {env: prod}}
    values: {host: '{{.name}}.{{.metadata.annotations.region}}'}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"metadata":{"annotations":{"region":"east"},"labels":{"env":"prod"}},"name":"Prod-East","nameNormalized":"prod-east","project":"team","server":"https://prod.example.com","values":{"host":"Prod-East.east"}}`,
			},
		},
		{
			name: "flatList yields all clusters in one parameter set",
			spec: `
goTemplate: true
generators:
- clusters: {selector: {matchExpressions: [{key: env, operator: Exists}]}, flatList: true}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"clusters":[{"metadata":{"annotations":{"region":"east"},"labels":{"env":"prod"}},"name":"Prod-East","nameNormalized":"prod-east","project":"team","server":"https://prod.example.com"},{"metadata":{"labels":{"env":"staging"}},"name":"staging","nameNormalized":"staging","project":"","server":"https://staging.example.com"}]}`,
			},
		},
		{
			name: "a post-selector filters on the flattened parameters, values unrestricted",
			spec: `
generators:
- clusters: {}
  selector:
    matchLabels: {server: "https://staging.example.com"}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{`{"metadata.labels.env":"staging","name":"staging","nameNormalized":"staging","project":"","server":"https://staging.example.com"}`},
		},
		{
			name: "a matrix combines, and its second child sees the first child's parameters",
			spec: `
goTemplate: true
generators:
- matrix:
    generators:
    - list: {elements: [{env: dev}, {env: prod}]}
    - list:
        elementsYaml: '[{app: "a-{{.env}}"}, {app: b}]'
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{`{"app":"a-dev","env":"dev"}`, `{"app":"a-prod","env":"prod"}`, `{"app":"b","env":"dev"}`, `{"app":"b","env":"prod"}`},
		},
		{
			name: "a flat matrix accepts a key both children set to the same value",
			spec: `
generators:
- matrix:
    generators:
    - list: {elements: [{env: dev, team: a}]}
    - list: {elements: [{team: a, app: x}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{`{"app":"x","env":"dev","team":"a"}`},
		},
		{
			name: "a merge overrides base sets by merge key and drops unmatched ones",
			spec: `
generators:
- merge:
    mergeKeys: [name]
    generators:
    - clusters: {}
    - list: {elements: [{name: staging, server: "https://override"}, {name: nowhere, server: x}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"metadata.annotations.region":"east","metadata.labels.env":"prod","name":"Prod-East","nameNormalized":"prod-east","project":"team","server":"https://prod.example.com"}`,
				`{"metadata.labels.env":"staging","name":"staging","nameNormalized":"staging","project":"","server":"https://override"}`,
				`{"name":"in-cluster","nameNormalized":"in-cluster","server":"https://kubernetes.default.svc"}`,
			},
		},
		{
			name: "a matrix may nest a merge, which applies its children's selectors",
			spec: `
goTemplate: true
generators:
- matrix:
    generators:
    - list: {elements: [{app: web}]}
    - merge:
        mergeKeys: [name]
        generators:
        - clusters: {}
          selector: {matchLabels: {metadata.labels.env: prod}}
        - list: {elements: [{name: Prod-East, replicas: "3"}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"app":"web","metadata":{"annotations":{"region":"east"},"labels":{"env":"prod"}},"name":"Prod-East","nameNormalized":"prod-east","project":"team","replicas":"3","server":"https://prod.example.com"}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := generate(t, g, appSetFromYAML(t, tt.spec))
			if !equalStrings(got, tt.want) {
				t.Errorf("parameters:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestGenerateErrors(t *testing.T) {
	g := New(Sources{Clusters: testClusters})
	tests := []struct {
		name, spec, want string
	}{
		{
			name: "a flat list element value must be a string",
			spec: `
generators: [{list: {elements: [{replicas: 2}]}}]
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: `generators[0] (list): elements[0]: the value of "replicas" is not a string`,
		},
		{
			name: "a flat matrix refuses a key with two values",
			spec: `
generators:
- matrix:
    generators:
    - list: {elements: [{env: dev}]}
    - list: {elements: [{env: prod}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: "found duplicate key env with different value",
		},
		{
			name: "merge keys must be unique within a generator",
			spec: `
generators:
- merge:
    mergeKeys: [env]
    generators:
    - list: {elements: [{env: dev}, {env: dev}]}
    - list: {elements: [{env: dev}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: "were not unique by the given mergeKeys",
		},
		{
			name: "a generator without a source says so",
			spec: `
generators: [{git: {repoURL: https://git.example.com/a.git, directories: [{path: "*"}]}}]
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: "no Git source is configured",
		},
		{
			name: "matrices nest at most two levels",
			spec: `
generators:
- matrix:
    generators:
    - list: {elements: [{a: b}]}
    - matrix:
        generators:
        - list: {elements: [{c: d}]}
        - matrix: {generators: [{list: {elements: [{e: f}]}}, {list: {elements: [{g: h}]}}]}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: "nested at most two levels deep",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := g.Generate(context.Background(), appSetFromYAML(t, tt.spec), Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestGitGeneratorReadsARealRepository(t *testing.T) {
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repo := server.NewRepo(t, "config")
	repo.CommitOn("main", gittest.Files{
		"apps/frontend/kustomization.yaml":  gittest.File("resources: []"),
		"apps/backend/kustomization.yaml":   gittest.File("resources: []"),
		"apps/legacy/kustomization.yaml":    gittest.File("resources: []"),
		"apps/.hidden/file":                 gittest.File("x"),
		"clusters/dev/config.json":          gittest.File(`{"cluster": {"name": "dev", "replicas": 1}}`),
		"clusters/prod/config.yaml":         gittest.File("- cluster: {name: prod-a}\n- cluster: {name: prod-b}\n"),
		"clusters/prod/ignored/config.json": gittest.File(`{"cluster": {"name": "ignored"}}`),
	})
	g := New(Sources{Git: newCacheSource(t)})
	tests := []struct {
		name, spec string
		want       []string
	}{
		{
			name: "directories match one level per star, and excludes win",
			spec: `
generators:
- git:
    repoURL: ` + server.RepoURL("config") + `
    revision: main
    directories: [{path: "apps/*"}, {path: apps/legacy, exclude: true}]
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"path":"apps/backend","path.basename":"backend","path.basenameNormalized":"backend","path[0]":"apps","path[1]":"backend"}`,
				`{"path":"apps/frontend","path.basename":"frontend","path.basenameNormalized":"frontend","path[0]":"apps","path[1]":"frontend"}`,
			},
		},
		{
			name: "goTemplate directories get path segments, under pathParamPrefix",
			spec: `
goTemplate: true
generators:
- git:
    repoURL: ` + server.RepoURL("config") + `
    revision: main
    pathParamPrefix: app
    directories: [{path: apps/frontend}]
    values: {base: '{{.app.path.basename}}'}
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"app":{"path":{"basename":"frontend","basenameNormalized":"frontend","path":"apps/frontend","segments":["apps","frontend"]}},"values":{"base":"frontend"}}`,
			},
		},
		{
			name: "files are flattened, lists yield one set per item, excluded files are skipped",
			spec: `
generators:
- git:
    repoURL: ` + server.RepoURL("config") + `
    revision: main
    files: [{path: "clusters/**/config.*"}, {path: "clusters/prod/ignored/*", exclude: true}]
template: {metadata: {}, spec: {project: p, destination: {}}}`,
			want: []string{
				`{"cluster.name":"dev","cluster.replicas":"1","path":"clusters/dev","path.basename":"dev","path.basenameNormalized":"dev","path.filename":"config.json","path.filenameNormalized":"config.json","path[0]":"clusters","path[1]":"dev"}`,
				`{"cluster.name":"prod-a","path":"clusters/prod","path.basename":"prod","path.basenameNormalized":"prod","path.filename":"config.yaml","path.filenameNormalized":"config.yaml","path[0]":"clusters","path[1]":"prod"}`,
				`{"cluster.name":"prod-b","path":"clusters/prod","path.basename":"prod","path.basenameNormalized":"prod","path.filename":"config.yaml","path.filenameNormalized":"config.yaml","path[0]":"clusters","path[1]":"prod"}`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := generate(t, g, appSetFromYAML(t, tt.spec))
			if !equalStrings(got, tt.want) {
				t.Errorf("parameters:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}

	t.Run("an unreachable repository is an error, not zero parameter sets", func(t *testing.T) {
		appSet := appSetFromYAML(t, `
generators: [{git: {repoURL: "`+server.RepoURL("missing")+`", revision: main, directories: [{path: "*"}]}}]
template: {metadata: {}, spec: {project: p, destination: {}}}`)
		if _, err := g.Generate(context.Background(), appSet, Options{}); err == nil {
			t.Fatal("no error for a repository that does not exist")
		}
	})
}

func TestRequeueAfter(t *testing.T) {
	tests := []struct {
		name, spec string
		want       time.Duration
	}{
		{name: "list and clusters never requeue", spec: `generators: [{list: {elements: []}}, {clusters: {}}]`, want: 0},
		{name: "git requeues after three minutes by default", spec: `generators: [{git: {repoURL: r, directories: [{path: a}]}}]`, want: 3 * time.Minute},
		{name: "the shortest requeueAfterSeconds wins, inside a matrix too", spec: `
generators:
- pullRequest: {github: {owner: o, repo: r}}
- matrix:
    generators:
    - git: {repoURL: r, directories: [{path: a}], requeueAfterSeconds: 30}
    - clusters: {}`, want: 30 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RequeueAfter(appSetFromYAML(t, tt.spec+"\ntemplate: {metadata: {}, spec: {project: p, destination: {}}}")); got != tt.want {
				t.Errorf("RequeueAfter = %v, want %v", got, tt.want)
			}
		})
	}
}
