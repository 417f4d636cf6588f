package webhook

import (
	"net/http"
)

// gitlab reads GitLab push, tag push and merge request events (also as
// system hooks), authenticated by the secret token in X-Gitlab-Token.
var gitlab = provider{
	name:   "gitlab",
	header: []string{"X-Gitlab-Event"},
	keys:   []string{keyGitLab},
	verify: func(header http.Header, _ []byte, keys Keys) bool {
		return equalSecret(header.Get("X-Gitlab-Token"), keys[keyGitLab])
	},
	parse: parseGitLab,
}

// gitlabProject is the project object of GitLab's payloads.
type gitlabProject struct {
	WebURL        string `json:"web_url"`
	HTTPURL       string `json:"git_http_url"`
	SSHURL        string `json:"git_ssh_url"`
	DefaultBranch string `json:"default_branch"`
}

func (p gitlabProject) urls() []string { return []string{p.WebURL, p.HTTPURL, p.SSHURL} }

// gitlabEvent is GitLab's push, tag push or merge request event; object_kind
// says which.
type gitlabEvent struct {
	ObjectKind        string        `json:"object_kind"`
	Ref               string        `json:"ref"`
	Before            string        `json:"before"`
	After             string        `json:"after"`
	Project           gitlabProject `json:"project"`
	Commits           []fileChanges `json:"commits"`
	TotalCommitsCount int           `json:"total_commits_count"`
	ObjectAttributes  struct {
		IID          int64  `json:"iid"`
		Action       string `json:"action"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
		LastCommit   struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

func parseGitLab(header http.Header, body []byte) (events, error) {
	var payload gitlabEvent
	if err := decode(body, &payload); err != nil {
		return events{}, err
	}
	switch payload.ObjectKind {
	case "push", "tag_push":
		touchedHead := payload.Ref == "refs/heads/"+payload.Project.DefaultBranch
		// GitLab lists at most 20 commits; the count says whether that is all.
		changed := changedFiles(payload.Commits, payload.TotalCommitsCount <= len(payload.Commits))
		push, err := newPush(payload.Ref, payload.Before, payload.After, touchedHead, changed, payload.Project.urls()...)
		return events{pushes: []Push{push}}, err
	case "merge_request":
		attributes := payload.ObjectAttributes
		pr, err := newPullRequest(attributes.IID, attributes.Action, attributes.SourceBranch,
			attributes.LastCommit.ID, attributes.TargetBranch, payload.Project.urls()...)
		return events{pullRequests: []PullRequest{pr}}, err
	default:
		return events{ignored: "GitLab " + header.Get("X-Gitlab-Event")}, nil
	}
}
