// Package webhooktest builds webhook deliveries in each Git provider's real
// format, signed as the provider signs them, for tests and benchmarks of the
// webhook receiver.
package webhooktest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/template"
)

//go:embed payloads/*.json
var payloads embed.FS

// Kind is one event of one provider.
type Kind string

// The events the receiver reads, and GitHub's ping.
const (
	GitHubPush          Kind = "github-push"
	GitHubPullRequest   Kind = "github-pull_request"
	GitHubPing          Kind = "github-ping"
	GitLabPush          Kind = "gitlab-push"
	GitLabMergeRequest  Kind = "gitlab-merge_request"
	BitbucketPush       Kind = "bitbucket-push"
	BitbucketServerPush Kind = "bitbucketserver-refs_changed"
	GogsPush            Kind = "gogs-push"
	GiteaPush           Kind = "gitea-push"
	AzureDevOpsPush     Kind = "azuredevops-git.push"
)

// PushKinds are the push events of every provider.
var PushKinds = []Kind{GitHubPush, GitLabPush, BitbucketPush, BitbucketServerPush, GogsPush, GiteaPush, AzureDevOpsPush}

// SecretKey is the argocd-secret key that configures the provider of kind
// (for Azure DevOps, the password's; see AzureDevOpsUsernameKey).
func SecretKey(kind Kind) string {
	switch {
	case strings.HasPrefix(string(kind), "github"):
		return "webhook.github.secret"
	case strings.HasPrefix(string(kind), "gitlab"):
		return "webhook.gitlab.secret"
	case strings.HasPrefix(string(kind), "bitbucketserver"):
		return "webhook.bitbucketserver.secret"
	case strings.HasPrefix(string(kind), "bitbucket"):
		return "webhook.bitbucket.uuid"
	case kind == GogsPush || kind == GiteaPush:
		return "webhook.gogs.secret"
	}
	return "webhook.azuredevops.password"
}

// AzureDevOpsUsernameKey is the argocd-secret key of Azure DevOps' user name.
const AzureDevOpsUsernameKey = "webhook.azuredevops.username"

// Event describes what a delivery reports.
type Event struct {
	// Ref is the full ref name (refs/heads/main).
	Ref string
	// Before and After are the commits before and after the push.
	Before, After string
	// CloneURL is the repository's HTTP clone URL (http://host/app.git);
	// the web URL is the same without ".git".
	CloneURL string
	// Added, Removed and Modified are the changed files.
	Added, Removed, Modified []string
}

// Signing says how a delivery is authenticated.
type Signing struct {
	// Secret is the provider's key: the HMAC secret, GitLab's token,
	// Bitbucket's webhook UUID, Azure DevOps' password. Empty sends the
	// delivery unsigned.
	Secret string
	// Username is Azure DevOps' basic auth user name.
	Username string
}

// Delivery is one webhook request: its headers and body.
type Delivery struct {
	Header http.Header
	Body   []byte
}

// New renders kind's payload for event and signs it.
func New(kind Kind, event Event, signing Signing) (Delivery, error) {
	file := kind
	if kind == GiteaPush {
		file = GogsPush
	}
	text, err := payloads.ReadFile("payloads/" + string(file) + ".json")
	if err != nil {
		return Delivery{}, fmt.Errorf("no payload for %s: %w", kind, err)
	}
	tmpl, err := template.New(string(kind)).Parse(string(text))
	if err != nil {
		return Delivery{}, err
	}
	values, err := templateValues(event)
	if err != nil {
		return Delivery{}, err
	}
	var body bytes.Buffer
	if err := tmpl.Execute(&body, values); err != nil {
		return Delivery{}, err
	}
	return WithBody(kind, body.Bytes(), signing), nil
}

// WithBody is a delivery of kind with any body, signed: for malformed
// payloads.
func WithBody(kind Kind, body []byte, signing Signing) Delivery {
	d := Delivery{Header: http.Header{}, Body: body}
	d.Header.Set("Content-Type", "application/json")
	d.Header.Set("User-Agent", "webhooktest")
	d.sign(kind, signing)
	return d
}

// templateValues are the fields the payload templates use.
func templateValues(event Event) (map[string]any, error) {
	u, err := url.Parse(event.CloneURL)
	if err != nil {
		return nil, fmt.Errorf("clone URL: %w", err)
	}
	list := func(files []string) string {
		if files == nil {
			files = []string{}
		}
		data, _ := json.Marshal(files)
		return string(data)
	}
	branch := event.Ref
	for _, prefix := range []string{"refs/heads/", "refs/tags/"} {
		branch = strings.TrimPrefix(branch, prefix)
	}
	return map[string]any{
		"Ref": event.Ref, "Branch": branch, "Before": event.Before, "After": event.After,
		"CloneURL": event.CloneURL, "WebURL": strings.TrimSuffix(event.CloneURL, ".git"), "Host": u.Hostname(),
		"Added": list(event.Added), "Removed": list(event.Removed), "Modified": list(event.Modified),
	}, nil
}

// sign sets the provider's event and authentication headers.
func (d *Delivery) sign(kind Kind, signing Signing) {
	mac := hmac.New(sha256.New, []byte(signing.Secret))
	mac.Write(d.Body)
	signature := hex.EncodeToString(mac.Sum(nil))
	signed := signing.Secret != ""
	set := func(name, value string) {
		if signed {
			d.Header.Set(name, value)
		}
	}
	switch kind {
	case GitHubPush, GitHubPullRequest, GitHubPing:
		d.Header.Set("X-GitHub-Event", strings.TrimPrefix(string(kind), "github-"))
		d.Header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958")
		set("X-Hub-Signature-256", "sha256="+signature)
	case GitLabPush:
		d.Header.Set("X-Gitlab-Event", "Push Hook")
		set("X-Gitlab-Token", signing.Secret)
	case GitLabMergeRequest:
		d.Header.Set("X-Gitlab-Event", "Merge Request Hook")
		set("X-Gitlab-Token", signing.Secret)
	case BitbucketPush:
		d.Header.Set("X-Event-Key", "repo:push")
		d.Header.Set("X-Request-UUID", "afe0a6d5-ea20-4a34-9ed1-42c4f5e06f5c")
		// Bitbucket Cloud always sends the webhook's UUID; it is the secret.
		uuid := signing.Secret
		if uuid == "" {
			uuid = "{00000000-0000-0000-0000-000000000000}"
		}
		d.Header.Set("X-Hook-UUID", uuid)
	case BitbucketServerPush:
		d.Header.Set("X-Event-Key", "repo:refs_changed")
		d.Header.Set("X-Request-Id", "f4f0e7b2-4a7c-4b9e-9a8d-1a2b3c4d5e6f")
		set("X-Hub-Signature", "sha256="+signature)
	case GogsPush:
		d.Header.Set("X-Gogs-Event", "push")
		d.Header.Set("X-Gogs-Delivery", "f6266f16-1bf3-46a5-9ea4-602e06ead473")
		set("X-Gogs-Signature", signature)
	case GiteaPush:
		// Gitea sends Gogs's and GitHub's headers beside its own.
		for _, prefix := range []string{"X-Gitea-", "X-Gogs-", "X-GitHub-"} {
			d.Header.Set(prefix+"Event", "push")
		}
		set("X-Gitea-Signature", signature)
		set("X-Gogs-Signature", signature)
		set("X-Hub-Signature-256", "sha256="+signature)
	case AzureDevOpsPush:
		d.Header.Set("X-Vss-ActivityId", "a0a0e3c3-7d5c-4c5f-9c9b-0f1e2d3c4b5a")
		if signed {
			request := http.Request{Header: d.Header}
			request.SetBasicAuth(signing.Username, signing.Secret)
		}
	}
}

// Request returns an HTTP POST of the delivery to url.
func (d Delivery) Request(url string) (*http.Request, error) {
	request, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	if err != nil {
		return nil, err
	}
	request.Header = d.Header.Clone()
	return request, nil
}
