package generators

import (
	"net/http"
	"strings"
	"testing"
)

func TestPullRequestGenerator(t *testing.T) {
	tests := []struct {
		name       string
		authorized func(*http.Request) bool
		routes     map[string]reply
		spec       string
		want       []string
	}{
		{
			name:       "GitHub pull requests with every configured label, Argo CD's parameters and a branch filter",
			authorized: authHeader("Authorization", "Bearer "+testToken),
			routes: map[string]reply{
				"/repos/acme/api/pulls": {body: `[
{"number":12,"title":"Add login","head":{"ref":"feature/Login_Page","sha":"abcdef0123456789"},"base":{"ref":"main"},"labels":[{"name":"preview"},{"name":"ok"}],"user":{"login":"alice"}},
{"number":13,"title":"No label","head":{"ref":"feature/other","sha":"1234"},"base":{"ref":"main"},"labels":[],"user":{"login":"bob"}},
{"number":14,"title":"Release","head":{"ref":"release/1","sha":"5678"},"base":{"ref":"main"},"labels":[{"name":"preview"}],"user":{"login":"carol"}}]`},
			},
			spec: `
generators:
- pullRequest:
    github: {owner: acme, repo: api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}, labels: [preview]}
    filters: [{branchMatch: "^feature/"}]`,
			want: []string{`{"author":"alice","branch":"feature/Login_Page","branch_slug":"feature-login-page","head_sha":"abcdef0123456789","head_short_sha":"abcdef01","head_short_sha_7":"abcdef0","number":"12","target_branch":"main","target_branch_slug":"main","title":"Add login"}`},
		},
		{
			name:       "Gitea pull requests carry labels with goTemplate",
			authorized: authHeader("Authorization", "token "+testToken),
			routes: map[string]reply{
				"/api/v1/repos/acme/api/pulls": {body: `[{"number":3,"title":"Fix","head":{"ref":"fix","sha":"0a0a0a0a0a"},"base":{"ref":"main"},"labels":[{"name":"preview"}],"user":{"login":"dan"}}]`},
			},
			spec: `
goTemplate: true
generators:
- pullRequest:
    gitea: {owner: acme, repo: api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}`,
			want: []string{`{"author":"dan","branch":"fix","branch_slug":"fix","head_sha":"0a0a0a0a0a","head_short_sha":"0a0a0a0a","head_short_sha_7":"0a0a0a0","labels":["preview"],"number":"3","target_branch":"main","target_branch_slug":"main","title":"Fix"}`},
		},
		{
			name:       "GitLab merge requests are paged and asked by label and state",
			authorized: authHeader("PRIVATE-TOKEN", testToken),
			routes: map[string]reply{
				"/api/v4/projects/acme%2Fapi/merge_requests|page=1": {body: `[{"iid":5,"title":"MR","source_branch":"topic","target_branch":"main","sha":"5555555555","labels":["preview"],"author":{"username":"erin"}}]`, headers: map[string]string{"X-Next-Page": "2"}},
				"/api/v4/projects/acme%2Fapi/merge_requests|page=2": {body: `[]`},
			},
			spec: `
generators:
- pullRequest:
    gitlab: {project: acme/api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}, labels: [preview], pullRequestState: opened}
    filters: [{targetBranchMatch: "^main$"}]`,
			want: []string{`{"author":"erin","branch":"topic","branch_slug":"topic","head_sha":"5555555555","head_short_sha":"55555555","head_short_sha_7":"5555555","number":"5","target_branch":"main","target_branch_slug":"main","title":"MR"}`},
		},
		{
			name:       "Bitbucket Server pull requests with a bearer token",
			authorized: authHeader("Authorization", "Bearer "+testToken),
			routes: map[string]reply{
				"/rest/api/1.0/projects/PRJ/repos/api/pull-requests": {body: `{"isLastPage":true,"values":[{"id":9,"title":"BB","fromRef":{"displayId":"feat","latestCommit":"9999999999"},"toRef":{"displayId":"develop"},"author":{"user":{"name":"frank"}}}]}`},
			},
			spec: `
generators:
- pullRequest:
    bitbucketServer: {project: PRJ, repo: api, api: "{{URL}}/rest", bearerToken: {tokenRef: {secretName: scm-token, key: token}}}`,
			want: []string{`{"author":"frank","branch":"feat","branch_slug":"feat","head_sha":"9999999999","head_short_sha":"99999999","head_short_sha_7":"9999999","number":"9","target_branch":"develop","target_branch_slug":"develop","title":"BB"}`},
		},
		{
			name:       "Bitbucket Cloud pull requests follow next URLs, title filter",
			authorized: basicAuth("bob", testToken),
			routes: map[string]reply{
				"/repositories/ws/api/pullrequests":        {body: `{"values":[{"id":1,"title":"WIP: no","source":{"branch":{"name":"a"},"commit":{"hash":"aaaa"}},"destination":{"branch":{"name":"main"}},"author":{"nickname":"gus"}}],"next":"{{URL}}/repositories/ws/api/pullrequests?page=2"}`},
				"/repositories/ws/api/pullrequests|page=2": {body: `{"values":[{"id":2,"title":"Ready","source":{"branch":{"name":"b"},"commit":{"hash":"bbbb"}},"destination":{"branch":{"name":"main"}},"author":{"nickname":"hal"}}]}`},
			},
			spec: `
generators:
- pullRequest:
    bitbucket: {owner: ws, repo: api, api: "{{URL}}", basicAuth: {username: bob, passwordRef: {secretName: scm-token, key: token}}}
    filters: [{titleMatch: "^Ready"}]`,
			want: []string{`{"author":"hal","branch":"b","branch_slug":"b","head_sha":"bbbb","head_short_sha":"bbbb","head_short_sha_7":"bbbb","number":"2","target_branch":"main","target_branch_slug":"main","title":"Ready"}`},
		},
		{
			name:       "Azure DevOps active pull requests with the configured labels",
			authorized: basicAuth("", testToken),
			routes: map[string]reply{
				"/org/proj/_apis/git/repositories/api/pullrequests": {body: `{"value":[
{"pullRequestId":21,"title":"Az","sourceRefName":"refs/heads/feat/x","targetRefName":"refs/heads/main","lastMergeSourceCommit":{"commitId":"2121212121"},"labels":[{"name":"preview"}],"createdBy":{"uniqueName":"ivy@example.com"}},
{"pullRequestId":22,"title":"Unlabelled","sourceRefName":"refs/heads/y","targetRefName":"refs/heads/main","lastMergeSourceCommit":{"commitId":"22"},"createdBy":{"uniqueName":"jo@example.com"}}]}`},
			},
			spec: `
generators:
- pullRequest:
    azuredevops: {organization: org, project: proj, repo: api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}, labels: [preview]}`,
			want: []string{`{"author":"ivy@example.com","branch":"feat/x","branch_slug":"feat-x","head_sha":"2121212121","head_short_sha":"21212121","head_short_sha_7":"2121212","number":"21","target_branch":"main","target_branch_slug":"main","title":"Az"}`},
		},
		{
			name:       "a repository that does not exist yields nothing with continueOnRepoNotFoundError",
			authorized: authHeader("Authorization", "Bearer "+testToken),
			routes:     map[string]reply{},
			spec: `
generators:
- pullRequest:
    continueOnRepoNotFoundError: true
    github: {owner: acme, repo: gone, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}`,
			want: []string{},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			server := fakeAPI(t, test.authorized, test.routes)
			g := New(Sources{Kube: tokenClient()})
			appSet := appSetFromYAML(t, strings.ReplaceAll(test.spec, "{{URL}}", server.URL)+scmTemplate)
			if got := generate(t, g, appSet); !equalStrings(got, test.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(test.want, "\n"))
			}
		})
	}
}

func TestBranchSlug(t *testing.T) {
	for branch, want := range map[string]string{
		"feature/Login_Page":        "feature-login-page",
		"main":                      "main",
		"a--b..c":                   "a-b-c",
		strings.Repeat("abcd-", 20): "abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd-abcd",
	} {
		if got := branchSlug(branch); got != want {
			t.Errorf("branchSlug(%q) = %q, want %q", branch, got, want)
		}
	}
}
