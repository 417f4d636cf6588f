package webhook

import (
	"mime"
	"net/http"
)

// githubMaxCommits is the most commits a GitHub push payload lists; a push
// of more is not described completely.
const githubMaxCommits = 2048

// github reads GitHub (and GitHub Enterprise) push, pull_request and ping
// events, signed with HMAC-SHA256 in X-Hub-Signature-256.
var github = provider{
	name:   "github",
	header: []string{"X-GitHub-Event"},
	keys:   []string{keyGitHub},
	verify: hmacSignature(keyGitHub, "X-Hub-Signature-256"),
	parse:  parseGitHub,
}

// githubRepository is the repository object of GitHub's payloads.
type githubRepository struct {
	HTMLURL       string `json:"html_url"`
	CloneURL      string `json:"clone_url"`
	SSHURL        string `json:"ssh_url"`
	DefaultBranch string `json:"default_branch"`
}

func (r githubRepository) urls() []string { return []string{r.HTMLURL, r.CloneURL, r.SSHURL} }

// githubPush is GitHub's push event.
type githubPush struct {
	Ref        string           `json:"ref"`
	Before     string           `json:"before"`
	After      string           `json:"after"`
	Repository githubRepository `json:"repository"`
	Commits    []fileChanges    `json:"commits"`
}

// githubPullRequest is GitHub's pull_request event.
type githubPullRequest struct {
	Action      string `json:"action"`
	Number      int64  `json:"number"`
	PullRequest struct {
		Head struct {
			Ref string `json:"ref"`
			SHA string `json:"sha"`
		} `json:"head"`
		Base struct {
			Ref string `json:"ref"`
		} `json:"base"`
	} `json:"pull_request"`
	Repository githubRepository `json:"repository"`
}

func parseGitHub(header http.Header, body []byte) (events, error) {
	if mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mediaType != "" && mediaType != "application/json" {
		return events{}, malformed("GitHub webhooks must use content type application/json, not %s", mediaType)
	}
	switch event := header.Get("X-GitHub-Event"); event {
	case "push":
		var payload githubPush
		if err := decode(body, &payload); err != nil {
			return events{}, err
		}
		touchedHead := payload.Ref == "refs/heads/"+payload.Repository.DefaultBranch
		changed := changedFiles(payload.Commits, len(payload.Commits) < githubMaxCommits)
		push, err := newPush(payload.Ref, payload.Before, payload.After, touchedHead, changed, payload.Repository.urls()...)
		return events{pushes: []Push{push}}, err
	case "pull_request":
		var payload githubPullRequest
		if err := decode(body, &payload); err != nil {
			return events{}, err
		}
		pr, err := newPullRequest(payload.Number, payload.Action, payload.PullRequest.Head.Ref,
			payload.PullRequest.Head.SHA, payload.PullRequest.Base.Ref, payload.Repository.urls()...)
		return events{pullRequests: []PullRequest{pr}}, err
	default:
		return events{ignored: "GitHub " + event}, nil
	}
}
