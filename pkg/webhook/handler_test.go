package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"capstan.dev/capstan/pkg/source/git/gittest"
	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// recorder is a Refresher that keeps what it is told.
type recorder struct {
	mu           sync.Mutex
	pushes       []Push
	pullRequests []PullRequest
}

func (r *recorder) Push(_ context.Context, push Push) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes = append(r.pushes, push)
	return nil
}

func (r *recorder) PullRequest(_ context.Context, pr PullRequest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pullRequests = append(r.pullRequests, pr)
	return nil
}

// receiver is a Handler served on loopback with a recorder behind it.
type receiver struct {
	handler  *Handler
	recorder *recorder
	url      string
	keys     Keys
}

// newReceiver serves a Handler with opts (Keys and Refresher are the
// receiver's own) until the test ends.
func newReceiver(t *testing.T, keys Keys, opts Options) *receiver {
	t.Helper()
	r := &receiver{recorder: &recorder{}, keys: keys}
	opts.Keys = func() (Keys, error) { return r.keys, nil }
	opts.Refresher = r.recorder
	r.handler = NewHandler(opts)
	ctx, cancel := context.WithCancel(context.Background())
	go r.handler.Run(ctx)
	server := httptest.NewServer(r.handler)
	t.Cleanup(func() {
		server.Close()
		cancel()
	})
	r.url = server.URL + Path
	return r
}

// post sends a delivery and returns the status, after the events it queued
// were handed on.
func (r *receiver) post(t *testing.T, d webhooktest.Delivery) int {
	t.Helper()
	request, err := d.Request(r.url)
	if err != nil {
		t.Fatal(err)
	}
	response, err := http.DefaultClient.Do(request)
	if err != nil {
		t.Fatal(err)
	}
	defer response.Body.Close()
	_, _ = io.Copy(io.Discard, response.Body)
	r.handler.Idle()
	return response.StatusCode
}

// pushFixture is a repository on a real Git server with one pushed commit.
type pushFixture struct {
	cloneURL      string
	before, after string
}

func newPushFixture(t *testing.T) pushFixture {
	t.Helper()
	server := gittest.NewServer(t, gittest.ServerOptions{})
	repo := server.NewRepo(t, "app")
	before := repo.CommitOn("main", gittest.Files{"guestbook/deploy.yaml": gittest.File("kind: Deployment # 1\n")})
	after := repo.CommitOn("main", gittest.Files{"guestbook/deploy.yaml": gittest.File("kind: Deployment # 2\n")})
	return pushFixture{cloneURL: server.RepoURL("app"), before: before.String(), after: after.String()}
}

func (f pushFixture) event() webhooktest.Event {
	return webhooktest.Event{Ref: "refs/heads/main", Before: f.before, After: f.after, CloneURL: f.cloneURL,
		Modified: []string{"guestbook/deploy.yaml"}}
}

// allKeys configures every provider with key "s3cret" (Azure DevOps: user
// "capstan" and that password).
func allKeys() Keys {
	keys := Keys{webhooktest.AzureDevOpsUsernameKey: []byte("capstan")}
	for _, kind := range webhooktest.PushKinds {
		keys[webhooktest.SecretKey(kind)] = []byte("s3cret")
	}
	return keys
}

func signing(kind webhooktest.Kind, secret string) webhooktest.Signing {
	s := webhooktest.Signing{Secret: secret}
	if kind == webhooktest.AzureDevOpsPush {
		s.Username = "capstan"
	}
	return s
}

func delivery(t *testing.T, kind webhooktest.Kind, event webhooktest.Event, s webhooktest.Signing) webhooktest.Delivery {
	t.Helper()
	d, err := webhooktest.New(kind, event, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEveryProvidersSignedPushIsReadAndHandedOn(t *testing.T) {
	fixture := newPushFixture(t)
	wantFiles := map[webhooktest.Kind][]string{
		webhooktest.GitHubPush: {"guestbook/deploy.yaml"},
		webhooktest.GitLabPush: {"guestbook/deploy.yaml"},
		webhooktest.GogsPush:   {"guestbook/deploy.yaml"},
		webhooktest.GiteaPush:  {"guestbook/deploy.yaml"},
	}
	for _, kind := range webhooktest.PushKinds {
		t.Run(string(kind), func(t *testing.T) {
			r := newReceiver(t, allKeys(), Options{})
			if status := r.post(t, delivery(t, kind, fixture.event(), signing(kind, "s3cret"))); status != http.StatusAccepted {
				t.Fatalf("status %d, want 202", status)
			}
			if len(r.recorder.pushes) != 1 {
				t.Fatalf("handed on %d pushes, want 1", len(r.recorder.pushes))
			}
			push := r.recorder.pushes[0]
			if push.Ref != "refs/heads/main" || push.Before != fixture.before || push.After != fixture.after || !push.TouchedHead {
				t.Errorf("push = %+v, want main from %s to %s touching HEAD", push, fixture.before, fixture.after)
			}
			if !newPushMatcher(push).repositories[mustRepository(t, fixture.cloneURL)] {
				t.Errorf("push repositories %v do not include %s", push.RepoURLs, fixture.cloneURL)
			}
			if !reflect.DeepEqual(push.ChangedFiles, wantFiles[kind]) {
				t.Errorf("changed files = %#v, want %#v", push.ChangedFiles, wantFiles[kind])
			}
		})
	}
}

func mustRepository(t *testing.T, raw string) string {
	t.Helper()
	repo, ok := repository(raw)
	if !ok {
		t.Fatalf("%s names no repository", raw)
	}
	return repo
}

func TestPullRequestsOfGitHubAndGitLabAreHandedOn(t *testing.T) {
	fixture := newPushFixture(t)
	tests := []struct {
		kind       webhooktest.Kind
		wantNumber int64
		wantAction string
	}{
		{webhooktest.GitHubPullRequest, 7, "synchronize"},
		{webhooktest.GitLabMergeRequest, 7, "update"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			r := newReceiver(t, allKeys(), Options{})
			if status := r.post(t, delivery(t, tt.kind, fixture.event(), signing(tt.kind, "s3cret"))); status != http.StatusAccepted {
				t.Fatalf("status %d, want 202", status)
			}
			if len(r.recorder.pullRequests) != 1 || len(r.recorder.pushes) != 0 {
				t.Fatalf("handed on %d pull requests and %d pushes, want 1 and 0", len(r.recorder.pullRequests), len(r.recorder.pushes))
			}
			pr := r.recorder.pullRequests[0]
			if pr.Number != tt.wantNumber || pr.Action != tt.wantAction || pr.HeadBranch != "feature" || pr.BaseBranch != "main" || pr.HeadCommit != fixture.after {
				t.Errorf("pull request = %+v", pr)
			}
		})
	}
}

func TestRefusedRequestsTouchNothing(t *testing.T) {
	fixture := newPushFixture(t)
	signed := func(t *testing.T, kind webhooktest.Kind) webhooktest.Delivery {
		return delivery(t, kind, fixture.event(), signing(kind, "s3cret"))
	}
	tests := []struct {
		name       string
		keys       Keys
		opts       Options
		delivery   func(t *testing.T) webhooktest.Delivery
		method     string
		wantStatus int
	}{
		{name: "a request of no known provider is malformed",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return webhooktest.Delivery{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{}`)}
			},
			wantStatus: http.StatusBadRequest},
		{name: "an unsigned request of a configured provider is unauthorized",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return delivery(t, webhooktest.GitHubPush, fixture.event(), webhooktest.Signing{})
			},
			wantStatus: http.StatusUnauthorized},
		{name: "a request signed with another key is unauthorized",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return delivery(t, webhooktest.GitHubPush, fixture.event(), webhooktest.Signing{Secret: "guess"})
			},
			wantStatus: http.StatusUnauthorized},
		{name: "a signed body that was changed afterwards is unauthorized",
			delivery: func(t *testing.T) webhooktest.Delivery {
				d := signed(t, webhooktest.BitbucketServerPush)
				d.Body = []byte(strings.Replace(string(d.Body), fixture.after, fixture.before, 1))
				return d
			},
			wantStatus: http.StatusUnauthorized},
		{name: "a wrong Bitbucket webhook UUID is unauthorized",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return delivery(t, webhooktest.BitbucketPush, fixture.event(), webhooktest.Signing{Secret: "{not-the-uuid}"})
			},
			wantStatus: http.StatusUnauthorized},
		{name: "a wrong Azure DevOps user name is unauthorized",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return delivery(t, webhooktest.AzureDevOpsPush, fixture.event(), webhooktest.Signing{Secret: "s3cret", Username: "mallory"})
			},
			wantStatus: http.StatusUnauthorized},
		{name: "a provider without a key is refused, signed or not",
			keys:       Keys{"webhook.gitlab.secret": []byte("s3cret")},
			delivery:   func(t *testing.T) webhooktest.Delivery { return signed(t, webhooktest.GitHubPush) },
			wantStatus: http.StatusUnauthorized},
		{name: "a garbage body, signed, is malformed",
			delivery: func(t *testing.T) webhooktest.Delivery {
				return webhooktest.WithBody(webhooktest.GogsPush, []byte("\x00\xffnot json"), signing(webhooktest.GogsPush, "s3cret"))
			},
			wantStatus: http.StatusBadRequest},
		{name: "a push of a ref that is no branch or tag is malformed",
			delivery: func(t *testing.T) webhooktest.Delivery {
				event := fixture.event()
				event.Ref = "refs/pull/1/head"
				return delivery(t, webhooktest.GitHubPush, event, signing(webhooktest.GitHubPush, "s3cret"))
			},
			wantStatus: http.StatusBadRequest},
		{name: "a push whose commit is no SHA is malformed",
			delivery: func(t *testing.T) webhooktest.Delivery {
				event := fixture.event()
				event.After = "HEAD~1"
				return delivery(t, webhooktest.GitLabPush, event, signing(webhooktest.GitLabPush, "s3cret"))
			},
			wantStatus: http.StatusBadRequest},
		{name: "a GitHub webhook sent as a form is malformed",
			delivery: func(t *testing.T) webhooktest.Delivery {
				d := signed(t, webhooktest.GitHubPush)
				d.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return d
			},
			wantStatus: http.StatusBadRequest},
		{name: "a body past the limit is too large",
			opts:       Options{MaxPayloadBytes: 512},
			delivery:   func(t *testing.T) webhooktest.Delivery { return signed(t, webhooktest.GitHubPush) },
			wantStatus: http.StatusRequestEntityTooLarge},
		{name: "a GET is not allowed",
			method:     http.MethodGet,
			delivery:   func(t *testing.T) webhooktest.Delivery { return signed(t, webhooktest.GitHubPush) },
			wantStatus: http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := tt.keys
			if keys == nil {
				keys = allKeys()
			}
			r := newReceiver(t, keys, tt.opts)
			d := tt.delivery(t)
			request, err := d.Request(r.url)
			if err != nil {
				t.Fatal(err)
			}
			if tt.method != "" {
				request.Method = tt.method
			}
			response, err := http.DefaultClient.Do(request)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(response.Body)
			response.Body.Close()
			r.handler.Idle()
			if response.StatusCode != tt.wantStatus {
				t.Errorf("status %d (%s), want %d", response.StatusCode, body, tt.wantStatus)
			}
			if strings.Contains(string(body), "s3cret") || strings.Contains(string(body), fixture.after) {
				t.Errorf("the answer quotes the key or the payload: %s", body)
			}
			if len(r.recorder.pushes)+len(r.recorder.pullRequests) != 0 {
				t.Errorf("a refused request was handed on: %+v %+v", r.recorder.pushes, r.recorder.pullRequests)
			}
		})
	}
}

func TestUnsignedWebhooksAreAcceptedOnlyWhenAllowedAndTheProviderHasNoKey(t *testing.T) {
	fixture := newPushFixture(t)
	unsigned := delivery(t, webhooktest.GitHubPush, fixture.event(), webhooktest.Signing{})
	t.Run("allowed, a provider without a key is read unverified", func(t *testing.T) {
		r := newReceiver(t, Keys{}, Options{AllowUnsigned: true})
		if status := r.post(t, unsigned); status != http.StatusAccepted || len(r.recorder.pushes) != 1 {
			t.Errorf("status %d with %d pushes, want 202 with 1", status, len(r.recorder.pushes))
		}
	})
	t.Run("allowed, a provider with a key is still verified", func(t *testing.T) {
		r := newReceiver(t, allKeys(), Options{AllowUnsigned: true})
		if status := r.post(t, unsigned); status != http.StatusUnauthorized || len(r.recorder.pushes) != 0 {
			t.Errorf("status %d with %d pushes, want 401 with none", status, len(r.recorder.pushes))
		}
	})
}

func TestChangedKeysApplyToTheNextRequest(t *testing.T) {
	fixture := newPushFixture(t)
	r := newReceiver(t, Keys{"webhook.github.secret": []byte("old")}, Options{})
	d := delivery(t, webhooktest.GitHubPush, fixture.event(), webhooktest.Signing{Secret: "new"})
	if status := r.post(t, d); status != http.StatusUnauthorized {
		t.Fatalf("status %d with the old key, want 401", status)
	}
	r.keys = Keys{"webhook.github.secret": []byte("new")}
	if status := r.post(t, d); status != http.StatusAccepted {
		t.Fatalf("status %d with the new key, want 202", status)
	}
}

func TestASourcePastItsRateIsToldToSlowDown(t *testing.T) {
	fixture := newPushFixture(t)
	r := newReceiver(t, allKeys(), Options{RatePerSecond: 0.001, RateBurst: 2})
	d := delivery(t, webhooktest.GitLabPush, fixture.event(), signing(webhooktest.GitLabPush, "s3cret"))
	var statuses []int
	for range 3 {
		statuses = append(statuses, r.post(t, d))
	}
	if want := []int{http.StatusAccepted, http.StatusAccepted, http.StatusTooManyRequests}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	if len(r.recorder.pushes) != 2 {
		t.Errorf("handed on %d pushes, want the 2 accepted", len(r.recorder.pushes))
	}
}

func TestEventsThatAskForNothingAreAnsweredAndIgnored(t *testing.T) {
	fixture := newPushFixture(t)
	r := newReceiver(t, allKeys(), Options{})
	ping := delivery(t, webhooktest.GitHubPing, fixture.event(), signing(webhooktest.GitHubPing, "s3cret"))
	if status := r.post(t, ping); status != http.StatusOK {
		t.Errorf("ping status %d, want 200", status)
	}
	issue := delivery(t, webhooktest.GitHubPing, fixture.event(), signing(webhooktest.GitHubPing, "s3cret"))
	issue.Header.Set("X-GitHub-Event", "issues")
	if status := r.post(t, issue); status != http.StatusOK {
		t.Errorf("issues status %d, want 200", status)
	}
	if len(r.recorder.pushes)+len(r.recorder.pullRequests) != 0 {
		t.Errorf("ignored events were handed on")
	}
}

func TestAFullQueueAsksToRetry(t *testing.T) {
	fixture := newPushFixture(t)
	r := &receiver{recorder: &recorder{}, keys: allKeys()}
	// No workers run: the queue of one fills with the first request.
	r.handler = NewHandler(Options{Keys: func() (Keys, error) { return r.keys, nil }, Refresher: r.recorder, QueueSize: 1})
	server := httptest.NewServer(r.handler)
	defer server.Close()
	d := delivery(t, webhooktest.GitHubPush, fixture.event(), signing(webhooktest.GitHubPush, "s3cret"))
	var statuses []int
	for range 2 {
		request, _ := d.Request(server.URL + Path)
		response, err := http.DefaultClient.Do(request)
		if err != nil {
			t.Fatal(err)
		}
		response.Body.Close()
		statuses = append(statuses, response.StatusCode)
	}
	if want := []int{http.StatusAccepted, http.StatusServiceUnavailable}; !reflect.DeepEqual(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

func ExampleHandler() {
	handler := NewHandler(Options{
		Keys:      func() (Keys, error) { return Keys{"webhook.github.secret": []byte("s3cret")}, nil },
		Refresher: Refreshers{},
	})
	mux := http.NewServeMux()
	mux.Handle(Path, handler)
	fmt.Println(Path)
	// Output: /api/webhook
}
