package generators

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

const scmTemplate = "\ntemplate: {metadata: {}, spec: {project: p, destination: {}}}"

func TestSCMProviderGenerator(t *testing.T) {
	tests := []struct {
		name       string
		authorized func(*http.Request) bool
		routes     map[string]reply
		// spec is the generator; {{URL}} is the fake API's URL.
		spec string
		want []string
	}{
		{
			name:       "GitHub follows Link pages, keeps repositories with the paths that must exist and yields https URLs",
			authorized: authHeader("Authorization", "Bearer "+testToken),
			routes: map[string]reply{
				"/orgs/acme/repos": {
					body:    `[{"id":1,"name":"api","clone_url":"https://git.example/acme/api.git","ssh_url":"git@git.example:acme/api.git","default_branch":"main","topics":["team-a","go"],"owner":{"login":"acme"}}]`,
					headers: map[string]string{"Link": `<{{URL}}/orgs/acme/repos?page=2&per_page=100>; rel="next", <{{URL}}/orgs/acme/repos?page=2&per_page=100>; rel="last"`},
				},
				"/orgs/acme/repos|page=2":                            {body: `[{"id":2,"name":"web","clone_url":"https://git.example/acme/web.git","default_branch":"trunk","owner":{"login":"acme"}}]`},
				"/repos/acme/api/branches/main":                      {body: `{"name":"main","commit":{"sha":"0123456789abcdef0123"}}`},
				"/repos/acme/web/branches/trunk":                     {body: `{"name":"trunk","commit":{"sha":"fedcba9876543210"}}`},
				"/repos/acme/api/contents/deploy/kustomization.yaml": {body: `{"type":"file"}`},
			},
			spec: `
generators:
- scmProvider:
    cloneProtocol: https
    github: {organization: acme, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}
    filters: [{pathsExist: [deploy/kustomization.yaml]}]`,
			want: []string{`{"branch":"main","branchNormalized":"main","labels":"team-a,go","organization":"acme","repository":"api","repository_id":"1","sha":"0123456789abcdef0123","short_sha":"01234567","short_sha_7":"0123456","url":"https://git.example/acme/api.git"}`},
		},
		{
			name:       "Gitea with allBranches yields the branches that match, labels are the topics, ssh is the default protocol",
			authorized: authHeader("Authorization", "token "+testToken),
			routes: map[string]reply{
				"/api/v1/orgs/acme/repos":         {body: `[{"id":3,"name":"api","clone_url":"http://gitea/acme/api.git","ssh_url":"git@gitea:acme/api.git","default_branch":"main","owner":{"login":"acme"}}]`},
				"/api/v1/repos/acme/api/topics":   {body: `{"topics":["team-a"]}`},
				"/api/v1/repos/acme/api/branches": {body: `[{"name":"main","commit":{"id":"1111111111"}},{"name":"feature/Login_Page","commit":{"id":"2222222222"}}]`},
			},
			spec: `
generators:
- scmProvider:
    gitea: {owner: acme, api: "{{URL}}", allBranches: true, tokenRef: {secretName: scm-token, key: token}}
    filters: [{branchMatch: "^feature/", labelMatch: "^team-"}]
    values: {app: "{{repository}}-x"}`,
			want: []string{`{"branch":"feature/Login_Page","branchNormalized":"feature-login-page","labels":"team-a","organization":"acme","repository":"api","repository_id":"3","sha":"2222222222","short_sha":"22222222","short_sha_7":"2222222","url":"git@gitea:acme/api.git","values.app":"api-x"}`},
		},
		{
			name:       "GitLab follows X-Next-Page and drops projects holding a path that must not exist",
			authorized: authHeader("PRIVATE-TOKEN", testToken),
			routes: map[string]reply{
				"/api/v4/groups/acme%2Fplatform/projects|page=1": {
					body:    `[{"id":7,"path":"api","ssh_url_to_repo":"git@gl:acme/platform/api.git","http_url_to_repo":"https://gl/acme/platform/api.git","default_branch":"main","topics":["x"],"namespace":{"full_path":"acme/platform"}}]`,
					headers: map[string]string{"X-Next-Page": "2"},
				},
				"/api/v4/groups/acme%2Fplatform/projects|page=2": {body: `[{"id":8,"path":"legacy","ssh_url_to_repo":"git@gl:acme/platform/legacy.git","default_branch":"main","namespace":{"full_path":"acme/platform"}}]`},
				"/api/v4/projects/7/repository/branches/main":    {body: `{"name":"main","commit":{"id":"7777777777"}}`},
				"/api/v4/projects/8/repository/branches/main":    {body: `{"name":"main","commit":{"id":"8888888888"}}`},
				"/api/v4/projects/7/repository/tree":             {body: `[{"path":"deploy"}]`},
				"/api/v4/projects/8/repository/tree":             {body: `[{"path":"DEPRECATED"}]`},
			},
			spec: `
generators:
- scmProvider:
    gitlab: {group: acme/platform, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}
    filters: [{pathsDoNotExist: [DEPRECATED]}]`,
			want: []string{`{"branch":"main","branchNormalized":"main","labels":"x","organization":"acme/platform","repository":"api","repository_id":"7","sha":"7777777777","short_sha":"77777777","short_sha_7":"7777777","url":"git@gl:acme/platform/api.git"}`},
		},
		{
			name:       "Bitbucket Server pages with nextPageStart, reads the default branch and authenticates with basic auth",
			authorized: basicAuth("bob", testToken),
			routes: map[string]reply{
				"/rest/api/1.0/projects/PRJ/repos|start=0":              {body: `{"isLastPage":false,"nextPageStart":1,"values":[{"id":11,"slug":"api","project":{"key":"PRJ"},"links":{"clone":[{"href":"ssh://git@bb:7999/prj/api.git","name":"ssh"},{"href":"https://bb/scm/prj/api.git","name":"http"}]}}]}`},
				"/rest/api/1.0/projects/PRJ/repos|start=1":              {body: `{"isLastPage":true,"values":[{"id":12,"slug":"web","project":{"key":"PRJ"},"links":{"clone":[{"href":"https://bb/scm/prj/web.git","name":"http"}]}}]}`},
				"/rest/api/1.0/projects/PRJ/repos/api/branches/default": {body: `{"displayId":"main","latestCommit":"aaaaaaaaaa"}`},
				"/rest/api/1.0/projects/PRJ/repos/web/branches/default": {body: `{"displayId":"master","latestCommit":"bbbbbbbbbb"}`},
			},
			spec: `
generators:
- scmProvider:
    cloneProtocol: https
    bitbucketServer: {project: PRJ, api: "{{URL}}", basicAuth: {username: bob, passwordRef: {secretName: scm-token, key: token}}}
    filters: [{repositoryMatch: "^web$"}]`,
			want: []string{`{"branch":"master","branchNormalized":"master","labels":"","organization":"PRJ","repository":"web","repository_id":"12","sha":"bbbbbbbbbb","short_sha":"bbbbbbbb","short_sha_7":"bbbbbbb","url":"https://bb/scm/prj/web.git"}`},
		},
		{
			name:       "Bitbucket Cloud follows next URLs and authenticates with the app password",
			authorized: basicAuth("bob", testToken),
			routes: map[string]reply{
				"/repositories/ws":                        {body: `{"values":[{"uuid":"{u1}","slug":"api","mainbranch":{"name":"main"},"links":{"clone":[{"href":"https://bitbucket.org/ws/api.git","name":"https"},{"href":"git@bitbucket.org:ws/api.git","name":"ssh"}]}}],"next":"{{URL}}/repositories/ws?page=2&pagelen=100"}`},
				"/repositories/ws|page=2":                 {body: `{"values":[{"uuid":"{u2}","slug":"web","mainbranch":{"name":"main"},"links":{"clone":[{"href":"git@bitbucket.org:ws/web.git","name":"ssh"}]}}]}`},
				"/repositories/ws/api/refs/branches/main": {body: `{"name":"main","target":{"hash":"cccccccccc"}}`},
				"/repositories/ws/web/refs/branches/main": {body: `{"name":"main","target":{"hash":"dddddddddd"}}`},
			},
			spec: `
generators:
- scmProvider:
    bitbucket: {owner: ws, user: bob, appPasswordRef: {secretName: scm-token, key: token}}`,
			want: []string{
				`{"branch":"main","branchNormalized":"main","labels":"","organization":"ws","repository":"api","repository_id":"{u1}","sha":"cccccccccc","short_sha":"cccccccc","short_sha_7":"ccccccc","url":"git@bitbucket.org:ws/api.git"}`,
				`{"branch":"main","branchNormalized":"main","labels":"","organization":"ws","repository":"web","repository_id":"{u2}","sha":"dddddddddd","short_sha":"dddddddd","short_sha_7":"ddddddd","url":"git@bitbucket.org:ws/web.git"}`,
			},
		},
		{
			name:       "Azure DevOps yields the remote URL, resolves the default branch among prefixed refs and skips disabled repositories",
			authorized: basicAuth("", testToken),
			routes: map[string]reply{
				"/org/proj/_apis/git/repositories":         {body: `{"count":2,"value":[{"id":"r1","name":"api","remoteUrl":"https://dev.azure.com/org/proj/_git/api","sshUrl":"git@ssh.dev.azure.com:v3/org/proj/api","defaultBranch":"refs/heads/main"},{"id":"r2","name":"old","isDisabled":true,"defaultBranch":"refs/heads/main"}]}`},
				"/org/proj/_apis/git/repositories/r1/refs": {body: `{"value":[{"name":"refs/heads/main","objectId":"eeeeeeeeee"},{"name":"refs/heads/main-old","objectId":"ffffffffff"}]}`},
			},
			spec: `
generators:
- scmProvider:
    azureDevOps: {organization: org, teamProject: proj, api: "{{URL}}", accessTokenRef: {secretName: scm-token, key: token}}`,
			want: []string{`{"branch":"main","branchNormalized":"main","labels":"","organization":"org","repository":"api","repository_id":"r1","sha":"eeeeeeeeee","short_sha":"eeeeeeee","short_sha_7":"eeeeeee","url":"https://dev.azure.com/org/proj/_git/api"}`},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			server := fakeAPI(t, test.authorized, test.routes)
			g := New(Sources{Kube: tokenClient()})
			g.bitbucketCloudAPI = server.URL
			appSet := appSetFromYAML(t, strings.ReplaceAll(test.spec, "{{URL}}", server.URL)+scmTemplate)
			if got := generate(t, g, appSet); !equalStrings(got, test.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(test.want, "\n"))
			}
		})
	}
}

func TestRemoteGeneratorErrors(t *testing.T) {
	routes := map[string]reply{
		"/orgs/acme/repos":          {body: `[{"id":1,"name":"api","default_branch":"main","owner":{"login":"acme"}}]`, headers: map[string]string{"Link": `<http://elsewhere.invalid/orgs/acme/repos?page=2>; rel="next"`}},
		"/orgs/broken/repos":        {status: http.StatusInternalServerError, body: `{"message":"internal detail ` + testToken + `"}`},
		"/orgs/huge/repos":          {body: `[` + strings.Repeat(`{"name":"x"},`, maxResponseBytes/12) + `{}]`},
		"/repos/acme/api/pulls":     {body: `not json ` + testToken},
		"/api/v1/getparams.execute": {body: `{"unexpected":true}`},
	}
	server := fakeAPI(t, authHeader("Authorization", "Bearer "+testToken), routes)
	tests := []struct {
		name      string
		sources   Sources
		authorize AuthorizeFunc
		spec      string
		want      string
	}{
		{
			name: "a next page on another host is not followed with the token",
			spec: `generators: [{scmProvider: {github: {organization: acme, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want: "the next page is on another host (elsewhere.invalid)",
		},
		{
			name: "a server error names the status, not the body",
			spec: `generators: [{scmProvider: {github: {organization: broken, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want: "HTTP status 500",
		},
		{
			name: "a wrong token is refused without the body echoed",
			spec: `generators: [{scmProvider: {github: {organization: acme, api: "{{URL}}"}}}]`,
			want: "HTTP status 401",
		},
		{
			name: "a response larger than the bound is an error",
			spec: `generators: [{scmProvider: {github: {organization: huge, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want: "the response is larger than",
		},
		{
			name: "a body that is not the provider's JSON is an error without the body",
			spec: `generators: [{pullRequest: {github: {owner: acme, repo: api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want: "the response is not the expected JSON",
		},
		{
			name:    "a provider outside --allowed-scm-providers is refused",
			sources: Sources{AllowedSCMProviders: []string{"https://github.example.com/api/v3"}},
			spec:    `generators: [{scmProvider: {github: {organization: acme, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want:    "is not allowed by --allowed-scm-providers",
		},
		{
			name: "a token Secret missing from the ApplicationSet's namespace is an error",
			spec: `generators: [{pullRequest: {gitea: {owner: acme, repo: api, api: "{{URL}}", tokenRef: {secretName: other-token, key: token}}}}]`,
			want: `read Secret team/other-token`,
		},
		{
			name: "a missing key of the token Secret is an error",
			spec: `generators: [{pullRequest: {gitea: {owner: acme, repo: api, api: "{{URL}}", tokenRef: {secretName: scm-token, key: password}}}}]`,
			want: `Secret scm-token has no key "password"`,
		},
		{
			name: "the caller of a preview who may not read the token Secret gets no generation",
			authorize: func(_ context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error {
				if resource.Resource == "secrets" {
					return errorf("may not %s secrets %s/%s", verb, namespace, name)
				}
				return nil
			},
			spec: `generators: [{scmProvider: {github: {organization: acme, api: "{{URL}}", tokenRef: {secretName: scm-token, key: token}}}}]`,
			want: "may not get secrets team/scm-token",
		},
		{
			name: "a plugin answer without output.parameters is an error, not zero Applications",
			spec: `generators: [{plugin: {configMapRef: {name: plugin}}}]`,
			want: "the response has no output.parameters list",
		},
		{
			name: "a malformed filter expression names the filter",
			spec: `generators: [{scmProvider: {github: {organization: acme, api: "{{URL}}"}, filters: [{repositoryMatch: "("}]}}]`,
			want: "filters[0].repositoryMatch",
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			sources := test.sources
			sources.Kube = tokenClient(pluginConfigMap(server.URL))
			g := New(sources)
			appSet := appSetFromYAML(t, strings.ReplaceAll(test.spec, "{{URL}}", server.URL)+scmTemplate)
			_, err := g.Generate(context.Background(), appSet, Options{Authorize: test.authorize})
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("got error %v, want one containing %q", err, test.want)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the error quotes the token or a body: %v", err)
			}
		})
	}
}

func TestAMalformedAnswerIsNotQuoted(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = listener.Close() })
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte("garbage " + testToken + "\r\n\r\n"))
			_ = conn.Close()
		}
	}()
	g := New(Sources{Kube: tokenClient()})
	appSet := appSetFromYAML(t, `generators: [{scmProvider: {github: {organization: acme, api: "http://`+listener.Addr().String()+`"}}}]`+scmTemplate)
	_, err = g.Generate(context.Background(), appSet, Options{})
	if err == nil || strings.Contains(err.Error(), testToken) || !strings.Contains(err.Error(), "not valid HTTP") {
		t.Fatalf("error %v, want one that does not quote the answer", err)
	}
}

func TestListsPullRequestsOf(t *testing.T) {
	tests := []struct {
		name  string
		spec  string
		paths []string
		want  bool
	}{
		{"a GitHub generator matches owner/repo case-insensitively",
			`generators: [{pullRequest: {github: {owner: Acme, repo: API}}}]`, []string{"acme/api"}, true},
		{"a generator nested in a matrix is found",
			`generators: [{matrix: {generators: [{list: {elements: []}}, {pullRequest: {gitea: {owner: acme, repo: api, api: "http://gitea"}}}]}}]`, []string{"acme/api"}, true},
		{"Bitbucket Server's project/repo ends the clone path",
			`generators: [{pullRequest: {bitbucketServer: {project: PRJ, repo: api, api: "http://bb"}}}]`, []string{"scm/prj/api"}, true},
		{"another repository does not match",
			`generators: [{pullRequest: {github: {owner: acme, repo: api}}}]`, []string{"acme/api-old", "other/web"}, false},
		{"a GitLab project given by number cannot match",
			`generators: [{pullRequest: {gitlab: {project: "42"}}}]`, []string{"42"}, false},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			if got := ListsPullRequestsOf(appSetFromYAML(t, test.spec+scmTemplate), test.paths); got != test.want {
				t.Errorf("ListsPullRequestsOf = %v, want %v", got, test.want)
			}
		})
	}
}
