package generators

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/fxamacker/cbor/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
)

// The access keys the fake AWS knows; a secret key must never show up in an
// error.
const (
	teamKeyID      = "AKIATEAMKEY"
	teamSecret     = "team-secret-access-key"
	serverKeyID    = "AKIASERVERKEY"
	serverSecret   = "server-secret-access-key"
	assumedKeyID   = "ASIAASSUMEDKEY"
	assumedSecret  = "assumed-secret-access-key"
	assumedToken   = "assumed-session-token"
	scanRole       = "arn:aws:iam::444455556666:role/scan"
	awsDeniedQuote = "quoted-by-aws"
)

// fakeRepository is one CodeCommit repository of the fake account.
type fakeRepository struct {
	name, defaultBranch string
	tags                map[string]string
	branches            map[string]string // name → commit
	paths               []string          // files, without leading slash
}

// fakeAWS is a loopback server speaking the three AWS APIs the provider
// calls — CodeCommit and the Resource Groups Tagging API (JSON 1.1) and
// STS (query) — from one account's repositories. It checks every request's
// Signature Version 4 against the secret key of the access key it names,
// and which keys each service accepts.
type fakeAWS struct {
	t      *testing.T
	server *httptest.Server
	repos  []fakeRepository
	// accepts lists the access keys each signing service takes.
	accepts map[string][]string

	mu sync.Mutex
	// calls are the operations answered, in order ("codecommit.GetBranch").
	calls []string
	// tagFilters are the TagFilters of the last GetResources, as JSON.
	tagFilters []byte
}

func newFakeAWS(t *testing.T, accepts map[string][]string, repos ...fakeRepository) *fakeAWS {
	f := &fakeAWS{t: t, repos: repos, accepts: accepts}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	return f
}

var fakeSecrets = map[string]string{teamKeyID: teamSecret, serverKeyID: serverSecret, assumedKeyID: assumedSecret}

// verify checks the request's signature and returns its signing service.
func (f *fakeAWS) verify(request *http.Request, body []byte) (string, bool) {
	authorization := request.Header.Get("Authorization")
	credential, signedHeaders, signature := "", "", ""
	for _, part := range strings.Split(strings.TrimPrefix(authorization, "AWS4-HMAC-SHA256 "), ", ") {
		key, value, _ := strings.Cut(part, "=")
		switch key {
		case "Credential":
			credential = value
		case "SignedHeaders":
			signedHeaders = value
		case "Signature":
			signature = value
		}
	}
	scope := strings.Split(credential, "/") // key/date/region/service/aws4_request
	if len(scope) != 5 {
		return "", false
	}
	keyID, region, service := scope[0], scope[2], scope[3]
	if !slices.Contains(f.accepts[service], keyID) {
		return service, false
	}
	signedAt, err := time.Parse("20060102T150405Z", request.Header.Get("X-Amz-Date"))
	if err != nil {
		return service, false
	}
	clone, _ := http.NewRequest(request.Method, "http://"+request.Host+request.URL.RequestURI(), nil)
	clone.Host, clone.ContentLength = request.Host, request.ContentLength
	for _, name := range strings.Split(signedHeaders, ";") {
		if name != "host" {
			clone.Header[http.CanonicalHeaderKey(name)] = request.Header.Values(name)
		}
	}
	sum := sha256.Sum256(body)
	credentials := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: fakeSecrets[keyID], SessionToken: request.Header.Get("X-Amz-Security-Token")}
	if keyID == assumedKeyID && credentials.SessionToken != assumedToken {
		return service, false
	}
	if err := v4.NewSigner().SignHTTP(context.Background(), credentials, clone, hex.EncodeToString(sum[:]), service, region, signedAt); err != nil {
		f.t.Error(err)
		return service, false
	}
	return service, strings.HasSuffix(clone.Header.Get("Authorization"), "Signature="+signature)
}

func (f *fakeAWS) serve(w http.ResponseWriter, request *http.Request) {
	body, _ := io.ReadAll(request.Body)
	service, ok := f.verify(request, body)
	if !ok {
		writeAWSError(w, http.StatusForbidden, "InvalidSignatureException", "signature of "+awsDeniedQuote+" does not match")
		return
	}
	if service == "sts" {
		f.assumeRole(w, body)
		return
	}
	if service == "tagging" {
		f.getResources(w, request, body)
		return
	}
	operation := request.Header.Get("X-Amz-Target")
	operation = operation[strings.LastIndex(operation, ".")+1:]
	f.mu.Lock()
	f.calls = append(f.calls, service+"."+operation)
	f.mu.Unlock()
	var input map[string]json.RawMessage
	if err := json.Unmarshal(body, &input); err != nil {
		f.t.Errorf("%s: %v", operation, err)
	}
	text := func(key string) string {
		var value string
		_ = json.Unmarshal(input[key], &value)
		return value
	}
	repo, found := f.repo(text("repositoryName"))
	switch service + "." + operation {
	case "codecommit.ListRepositories":
		// One repository per page, to follow nextToken.
		i := 0
		if token := text("nextToken"); token != "" {
			_, _ = fmt.Sscanf(token, "page-%d", &i)
		}
		answer := map[string]any{"repositories": []any{map[string]string{"repositoryName": f.repos[i].name}}}
		if i+1 < len(f.repos) {
			answer["nextToken"] = fmt.Sprintf("page-%d", i+1)
		}
		writeJSON(w, answer)
	case "codecommit.GetRepository":
		if !found {
			writeAWSError(w, http.StatusBadRequest, "RepositoryDoesNotExistException", "no "+awsDeniedQuote)
			return
		}
		meta := map[string]string{
			"accountId": "111122223333", "repositoryId": "id-" + repo.name, "repositoryName": repo.name,
			"cloneUrlHttp": "https://git-codecommit.us-east-1.amazonaws.com/v1/repos/" + repo.name,
			"cloneUrlSsh":  "ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/" + repo.name,
		}
		if repo.defaultBranch != "" {
			meta["defaultBranch"] = repo.defaultBranch
		}
		writeJSON(w, map[string]any{"repositoryMetadata": meta})
	case "codecommit.ListBranches":
		names := make([]string, 0, len(repo.branches))
		for name := range repo.branches {
			names = append(names, name)
		}
		slices.Sort(names)
		writeJSON(w, map[string]any{"branches": names})
	case "codecommit.GetBranch":
		writeJSON(w, map[string]any{"branch": map[string]string{"branchName": text("branchName"), "commitId": repo.branches[text("branchName")]}})
	case "codecommit.GetFolder":
		if _, ok := repo.branches[text("commitSpecifier")]; !ok {
			writeAWSError(w, http.StatusBadRequest, "CommitDoesNotExistException", "no commit")
			return
		}
		folder := strings.Trim(text("folderPath"), "/")
		var files, folders []map[string]string
		for _, file := range repo.paths {
			relative, ok := strings.CutPrefix(file, folder+"/")
			if folder == "" {
				relative, ok = file, true
			}
			if !ok {
				continue
			}
			if first, _, nested := strings.Cut(relative, "/"); nested {
				folders = append(folders, map[string]string{"relativePath": first, "absolutePath": path.Join(folder, first)})
			} else {
				files = append(files, map[string]string{"relativePath": relative, "absolutePath": file})
			}
		}
		if files == nil && folders == nil {
			writeAWSError(w, http.StatusBadRequest, "FolderDoesNotExistException", "no folder")
			return
		}
		writeJSON(w, map[string]any{"commitId": repo.branches[text("commitSpecifier")], "folderPath": text("folderPath"), "files": files, "subFolders": folders})
	default:
		f.t.Errorf("unexpected operation %s.%s", service, operation)
		writeAWSError(w, http.StatusBadRequest, "UnknownOperationException", operation)
	}
}

// getResources answers the Resource Groups Tagging API's GetResources,
// which the SDK speaks as Smithy RPC v2 CBOR, with the repositories that
// carry every key of TagFilters with one of its values (any, when none).
func (f *fakeAWS) getResources(w http.ResponseWriter, request *http.Request, body []byte) {
	var input struct {
		ResourceTypeFilters []string
		TagFilters          []struct {
			Key    string   `json:"Key"`
			Values []string `json:"Values,omitempty"`
		}
	}
	if err := cbor.Unmarshal(body, &input); err != nil {
		f.t.Errorf("GetResources: %v", err)
	}
	filters, _ := json.Marshal(input.TagFilters)
	f.mu.Lock()
	f.calls = append(f.calls, "tagging."+path.Base(request.URL.Path))
	f.tagFilters = filters
	f.mu.Unlock()
	if path.Base(request.URL.Path) != "GetResources" || !slices.Equal(input.ResourceTypeFilters, []string{"codecommit:repository"}) {
		f.t.Errorf("unexpected tagging request %s %v", request.URL.Path, input.ResourceTypeFilters)
	}
	mappings := []map[string]string{}
	for _, repo := range f.repos {
		matches := true
		for _, filter := range input.TagFilters {
			value, tagged := repo.tags[filter.Key]
			matches = matches && tagged && (len(filter.Values) == 0 || slices.Contains(filter.Values, value))
		}
		if matches {
			mappings = append(mappings, map[string]string{"ResourceARN": "arn:aws:codecommit:us-east-1:111122223333:" + repo.name})
		}
	}
	answer, err := cbor.Marshal(map[string]any{"ResourceTagMappingList": mappings})
	if err != nil {
		f.t.Error(err)
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	_, _ = w.Write(answer)
}

// assumeRole answers STS AssumeRole of scanRole with the assumed key.
func (f *fakeAWS) assumeRole(w http.ResponseWriter, body []byte) {
	form, _ := url.ParseQuery(string(body))
	f.mu.Lock()
	f.calls = append(f.calls, "sts."+form.Get("Action"))
	f.mu.Unlock()
	if form.Get("Action") != "AssumeRole" || form.Get("RoleArn") != scanRole {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = fmt.Fprintf(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>%s may not assume</Message></Error><RequestId>1</RequestId></ErrorResponse>`, awsDeniedQuote)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>
<AssumedRoleUser><Arn>%s/capstan-applicationset</Arn><AssumedRoleId>AROA:capstan-applicationset</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		assumedKeyID, assumedSecret, assumedToken, time.Now().Add(time.Hour).UTC().Format(time.RFC3339), scanRole)
}

func (f *fakeAWS) repo(name string) (fakeRepository, bool) {
	for _, repo := range f.repos {
		if repo.name == name {
			return repo, true
		}
	}
	return fakeRepository{}, false
}

func (f *fakeAWS) operations() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func writeJSON(w http.ResponseWriter, value any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(value)
}

func writeAWSError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": message})
}

// awsEnvironment points the SDK's own configuration at endpoint and
// isolates it from the machine's: no shared files, no instance metadata,
// and the server's access key only when serverKey is set.
func awsEnvironment(t *testing.T, endpoint, region string, serverKey bool) {
	t.Setenv("AWS_ENDPOINT_URL", endpoint)
	t.Setenv("AWS_REGION", region)
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_CONFIG_FILE", path.Join(t.TempDir(), "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", path.Join(t.TempDir(), "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "")
	t.Setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "")
	t.Setenv("AWS_SESSION_TOKEN", "")
	keyID, secret := "", ""
	if serverKey {
		keyID, secret = serverKeyID, serverSecret
	}
	t.Setenv("AWS_ACCESS_KEY_ID", keyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
}

// awsKeyClient holds Secret aws-key in namespace "team" with keyID and secret.
func awsKeyClient(keyID, secret string) *fake.Clientset {
	return fake.NewClientset(&corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "aws-key", Namespace: "team"},
		Data:       map[string][]byte{"aws_access_key_id": []byte(keyID), "aws_secret_access_key": []byte(secret)},
	})
}

var codeCommitRepos = []fakeRepository{
	{name: "api", defaultBranch: "main", tags: map[string]string{"team": "a", "env": "prod"},
		branches: map[string]string{"main": "1111111111aaaa", "feature/Login": "2222222222bbbb"}, paths: []string{"deploy/kustomization.yaml", "README.md"}},
	{name: "web", defaultBranch: "trunk", tags: map[string]string{"team": "b"},
		branches: map[string]string{"trunk": "3333333333cccc"}, paths: []string{"README.md"}},
	{name: "empty", tags: map[string]string{"team": "a", "env": "dev"}},
	{name: "ops", defaultBranch: "main", tags: map[string]string{"team": "c", "env": "prod"},
		branches: map[string]string{"main": "4444444444dddd"}, paths: []string{"deploy/x.yaml"}},
}

func TestAWSCodeCommitSCMProvider(t *testing.T) {
	tests := []struct {
		name string
		// accepts are the keys each service takes.
		accepts map[string][]string
		// region is the server's (AWS_REGION); serverKey gives the server
		// an access key of its own.
		region    string
		serverKey bool
		namespace string
		spec      string
		want      []string
		// calls are the operations the provider must have made, in order.
		calls []string
	}{
		{
			name:      "a Secret's key lists every repository page by page, skips one never pushed to and keeps those holding a path",
			accepts:   map[string][]string{"codecommit": {teamKeyID}},
			namespace: "team",
			spec: `
generators:
- scmProvider:
    cloneProtocol: https
    awsCodeCommit: {region: us-east-1, credentialsSecretName: aws-key}
    filters: [{pathsExist: [deploy/kustomization.yaml]}]`,
			want: []string{`{"branch":"main","branchNormalized":"main","labels":"","organization":"111122223333","repository":"api","repository_id":"id-api","sha":"1111111111aaaa","short_sha":"11111111","short_sha_7":"1111111","url":"https://git-codecommit.us-east-1.amazonaws.com/v1/repos/api"}`},
			calls: []string{"codecommit.ListRepositories", "codecommit.ListRepositories", "codecommit.ListRepositories", "codecommit.ListRepositories",
				"codecommit.GetRepository", "codecommit.GetRepository", "codecommit.GetRepository", "codecommit.GetRepository",
				"codecommit.GetBranch", "codecommit.GetFolder", "codecommit.GetBranch", "codecommit.GetFolder", "codecommit.GetBranch", "codecommit.GetFolder"},
		},
		{
			name: "an assumed role's key, tag filters grouped by key, every branch, FIPS clone URLs",
			// Only STS takes the Secret's key: the rest must come signed
			// with the assumed role's.
			accepts:   map[string][]string{"sts": {teamKeyID}, "codecommit": {assumedKeyID}, "tagging": {assumedKeyID}},
			region:    "us-east-1",
			namespace: "team",
			spec: `
generators:
- scmProvider:
    cloneProtocol: https-fips
    awsCodeCommit:
      credentialsSecretName: aws-key
      role: ` + scanRole + `
      allBranches: true
      tagFilters: [{key: team, value: a}, {key: team, value: c}, {key: env}]
    filters: [{branchMatch: "^feature/|^main$", pathsDoNotExist: [deploy/x.yaml]}]`,
			want: []string{
				`{"branch":"feature/Login","branchNormalized":"feature-login","labels":"","organization":"111122223333","repository":"api","repository_id":"id-api","sha":"2222222222bbbb","short_sha":"22222222","short_sha_7":"2222222","url":"https://git-codecommit-fips.us-east-1.amazonaws.com/v1/repos/api"}`,
				`{"branch":"main","branchNormalized":"main","labels":"","organization":"111122223333","repository":"api","repository_id":"id-api","sha":"1111111111aaaa","short_sha":"11111111","short_sha_7":"1111111","url":"https://git-codecommit-fips.us-east-1.amazonaws.com/v1/repos/api"}`,
			},
			calls: []string{"sts.AssumeRole", "tagging.GetResources", "codecommit.GetRepository", "codecommit.GetRepository", "codecommit.GetRepository",
				"codecommit.ListBranches", "codecommit.GetBranch", "codecommit.GetBranch", "codecommit.GetFolder", "codecommit.GetFolder",
				"codecommit.ListBranches", "codecommit.GetBranch", "codecommit.GetFolder"},
		},
		{
			name:      "an ApplicationSet of a control namespace acts as the server's own identity, in the server's region, ssh by default",
			accepts:   map[string][]string{"codecommit": {serverKeyID}, "tagging": {serverKeyID}},
			region:    "us-east-1",
			serverKey: true,
			namespace: "argocd",
			spec: `
generators:
- scmProvider:
    awsCodeCommit: {tagFilters: [{key: team, value: b}]}`,
			want:  []string{`{"branch":"trunk","branchNormalized":"trunk","labels":"","organization":"111122223333","repository":"web","repository_id":"id-web","sha":"3333333333cccc","short_sha":"33333333","short_sha_7":"3333333","url":"ssh://git-codecommit.us-east-1.amazonaws.com/v1/repos/web"}`},
			calls: []string{"tagging.GetResources", "codecommit.GetRepository", "codecommit.GetBranch"},
		},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			aws := newFakeAWS(t, test.accepts, codeCommitRepos...)
			awsEnvironment(t, aws.server.URL, test.region, test.serverKey)
			g := New(Sources{Kube: awsKeyClient(teamKeyID, teamSecret), ControlNamespaces: []string{"capstan-system", "argocd"}})
			appSet := appSetFromYAML(t, test.spec+scmTemplate)
			appSet.Namespace = test.namespace
			if got := generate(t, g, appSet); !equalStrings(got, test.want) {
				t.Errorf("params:\n got %v\nwant %v", got, test.want)
			}
			if got := aws.operations(); !slices.Equal(got, test.calls) {
				t.Errorf("operations:\n got %v\nwant %v", got, test.calls)
			}
		})
	}
}

func TestAWSCodeCommitTagFiltersAreGroupedByKey(t *testing.T) {
	aws := newFakeAWS(t, map[string][]string{"codecommit": {teamKeyID}, "tagging": {teamKeyID}}, codeCommitRepos...)
	awsEnvironment(t, aws.server.URL, "us-east-1", false)
	g := New(Sources{Kube: awsKeyClient(teamKeyID, teamSecret)})
	generate(t, g, appSetFromYAML(t, `
generators:
- scmProvider:
    awsCodeCommit: {credentialsSecretName: aws-key, tagFilters: [{key: team, value: a}, {key: env}, {key: team, value: c}]}`+scmTemplate))
	want := `[{"Key":"team","Values":["a","c"]},{"Key":"env"}]`
	if got := string(aws.tagFilters); got != want {
		t.Errorf("TagFilters sent: %s, want %s", got, want)
	}
}

func TestAWSCodeCommitRefusals(t *testing.T) {
	denySecrets := func(_ context.Context, verb string, resource schema.GroupVersionResource, namespace, name string) error {
		if resource.Resource == "secrets" {
			return errorf("may not %s secrets %s/%s", verb, namespace, name)
		}
		return nil
	}
	denyAppSets := func(_ context.Context, verb string, resource schema.GroupVersionResource, namespace, _ string) error {
		if resource.Resource == "applicationsets" {
			return errorf("may not %s applicationsets in %s", verb, namespace)
		}
		return nil
	}
	tests := []struct {
		name      string
		namespace string
		region    string
		serverKey bool
		// keyID and secret are what the Secret holds.
		keyID, secret string
		authorize     AuthorizeFunc
		spec          string
		want          string
	}{
		{name: "an ApplicationSet outside the control namespaces may not act as the server's AWS identity",
			namespace: "team", region: "us-east-1", serverKey: true,
			spec: `{}`, want: "awsCodeCommit: the server's own AWS identity serves only ApplicationSets of the control namespaces (capstan-system, argocd); set credentialsSecretName to a Secret of namespace team"},
		{name: "a preview caller who may not create ApplicationSets in a control namespace may not use the server's identity",
			namespace: "argocd", region: "us-east-1", serverKey: true, authorize: denyAppSets,
			spec: `{}`, want: "may not create applicationsets in argocd"},
		{name: "a control namespace's ApplicationSet on a server without AWS credentials says so",
			namespace: "argocd", region: "us-east-1",
			spec: `{}`, want: "awsCodeCommit: ListRepositories: the server's AWS identity: no credentials could be retrieved"},
		{name: "the caller of a preview who may not read the key's Secret gets no generation",
			namespace: "team", region: "us-east-1", keyID: teamKeyID, secret: teamSecret, authorize: denySecrets,
			spec: `{credentialsSecretName: aws-key}`, want: "may not get secrets team/aws-key"},
		{name: "a Secret without the secret access key names the Secret and the key",
			namespace: "team", region: "us-east-1", keyID: teamKeyID,
			spec: `{credentialsSecretName: aws-key}`, want: "awsCodeCommit.credentialsSecretName: Secret team/aws-key has no aws_secret_access_key"},
		{name: "a wrong secret key is AWS's error code and status, not its message",
			namespace: "team", region: "us-east-1", keyID: teamKeyID, secret: "wrong-" + teamSecret,
			spec: `{credentialsSecretName: aws-key}`, want: "awsCodeCommit: ListRepositories: InvalidSignatureException (HTTP 403)"},
		{name: "a role that may not be assumed names the role and AWS's code",
			namespace: "team", region: "us-east-1", keyID: teamKeyID, secret: teamSecret,
			spec: `{credentialsSecretName: aws-key, role: "arn:aws:iam::444455556666:role/other"}`,
			want: "awsCodeCommit: ListRepositories: assume role arn:aws:iam::444455556666:role/other: AccessDenied (HTTP 403)"},
		{name: "no region anywhere is an error naming the field",
			namespace: "team", keyID: teamKeyID, secret: teamSecret,
			spec: `{credentialsSecretName: aws-key}`, want: "awsCodeCommit.region: not set, and the server has no AWS region (AWS_REGION)"},
		{name: "a region rendered into something else is refused before it reaches an endpoint",
			namespace: "team", keyID: teamKeyID, secret: teamSecret,
			spec: `{credentialsSecretName: aws-key, region: "evil.example/#"}`, want: `awsCodeCommit.region: "evil.example/#" is not an AWS region name`},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			aws := newFakeAWS(t, map[string][]string{"codecommit": {teamKeyID, serverKeyID}, "sts": {teamKeyID}}, codeCommitRepos...)
			awsEnvironment(t, aws.server.URL, test.region, test.serverKey)
			g := New(Sources{Kube: awsKeyClient(test.keyID, test.secret), ControlNamespaces: []string{"capstan-system", "argocd"}})
			appSet := appSetFromYAML(t, `generators: [{scmProvider: {awsCodeCommit: `+test.spec+`}}]`+scmTemplate)
			appSet.Namespace = test.namespace
			_, err := g.Generate(context.Background(), appSet, Options{Authorize: test.authorize})
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("got error %v, want one containing %q", err, test.want)
			}
			for _, secret := range []string{teamSecret, serverSecret, assumedSecret, awsDeniedQuote} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes a secret key or AWS's message: %v", err)
				}
			}
		})
	}
}
