package generators

import (
	"testing"
)

func TestGeneratorsAreFoundAtEveryNestingLevel(t *testing.T) {
	appSet := appSetFromYAML(t, `
generators:
- git: {repoURL: https://git.example.com/top.git, revision: main, directories: [{path: "*"}]}
- matrix:
    generators:
    - git: {repoURL: https://git.example.com/matrix.git, files: [{path: "*.json"}]}
    - merge:
        mergeKeys: [name]
        generators:
        - pullRequest: {github: {owner: org, repo: nested}}
        - git: {repoURL: "{{.repo}}", directories: [{path: "*"}]}
- merge:
    mergeKeys: [name]
    generators:
    - clusters: {}
    - pullRequest: {gitlab: {project: "42"}}
template:
  metadata: {name: x}
  spec: {project: default, destination: {server: https://kubernetes.default.svc}}
`)
	var gits []string
	for _, git := range GitGenerators(appSet) {
		gits = append(gits, git.RepoURL)
	}
	if want := []string{"https://git.example.com/top.git", "https://git.example.com/matrix.git", "{{.repo}}"}; !equalStrings(gits, want) {
		t.Errorf("GitGenerators: %v, want %v", gits, want)
	}
	if want := []string{"https://git.example.com/top.git", "https://git.example.com/matrix.git"}; !equalStrings(GitRepositories(appSet), want) {
		t.Errorf("GitRepositories: %v, want %v (templated URLs left out)", GitRepositories(appSet), want)
	}
	prs := PullRequestGenerators(appSet)
	if len(prs) != 2 || prs[0].Github == nil || prs[0].Github.Repo != "nested" || prs[1].Gitlab == nil || prs[1].Gitlab.Project != "42" {
		t.Errorf("PullRequestGenerators: %+v", prs)
	}
	if !UsesClusters(appSet) {
		t.Error("UsesClusters is false although a merge child lists clusters")
	}
	if UsesClusters(appSetFromYAML(t, `generators: [{list: {elements: []}}]
template: {metadata: {name: x}, spec: {project: default, destination: {server: https://kubernetes.default.svc}}}`)) {
		t.Error("UsesClusters is true for a list generator")
	}
}
