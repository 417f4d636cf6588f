package webhook

import (
	"net/http"
	"strings"
	"testing"

	"capstan.dev/capstan/pkg/webhook/webhooktest"
)

// FuzzParse feeds arbitrary bodies and event headers to every provider's
// parser: none may panic, and what one accepts must be a well-formed event.
func FuzzParse(f *testing.F) {
	event := webhooktest.Event{
		Ref: "refs/heads/main", Before: strings.Repeat("a", 40), After: strings.Repeat("b", 40),
		CloneURL: "https://git.example.com/team/app.git", Modified: []string{"apps/guestbook/deploy.yaml"},
	}
	kinds := append([]webhooktest.Kind{webhooktest.GitHubPullRequest, webhooktest.GitLabMergeRequest, webhooktest.GitHubPing}, webhooktest.PushKinds...)
	for _, kind := range kinds {
		d, err := webhooktest.New(kind, event, webhooktest.Signing{Secret: "s3cret"})
		if err != nil {
			f.Fatal(err)
		}
		p, _ := detectProvider(d.Header)
		f.Add(providerIndex(p), eventHeader(d.Header), d.Body)
	}
	f.Add(uint8(0), "push", []byte(`{"ref":"refs/heads/../x","after":"`+strings.Repeat("0", 40)+`"}`))
	f.Add(uint8(1), "push", []byte(`{"commits":[{"added":[null]}],"repository":{"html_url":1}}`))
	f.Fuzz(func(t *testing.T, index uint8, eventName string, body []byte) {
		p := &providers[int(index)%len(providers)]
		header := http.Header{}
		for _, name := range []string{"X-GitHub-Event", "X-Gitea-Event", "X-Event-Key"} {
			header.Set(name, eventName)
		}
		header.Set("X-Gitlab-Event", "Push Hook")
		e, err := p.parse(header, body)
		if err != nil {
			return
		}
		for _, push := range e.pushes {
			if !refPattern.MatchString(push.Ref) || len(push.RepoURLs) == 0 {
				t.Fatalf("%s accepted a push without a branch or tag or repository: %+v", p.name, push)
			}
			for _, sha := range []string{push.Before, push.After} {
				if sha != "" && !shaPattern.MatchString(sha) {
					t.Fatalf("%s accepted a commit that is no SHA: %q", p.name, sha)
				}
			}
			newPushMatcher(push)
		}
		for _, pr := range e.pullRequests {
			if pr.Number <= 0 || len(pr.RepoURLs) == 0 {
				t.Fatalf("%s accepted a pull request without number or repository: %+v", p.name, pr)
			}
		}
	})
}

func providerIndex(p *provider) uint8 {
	for i := range providers {
		if &providers[i] == p {
			return uint8(i)
		}
	}
	return 0
}

func eventHeader(header http.Header) string {
	for _, name := range []string{"X-Gitea-Event", "X-GitHub-Event", "X-Event-Key", "X-Gogs-Event"} {
		if value := header.Get(name); value != "" {
			return value
		}
	}
	return ""
}
