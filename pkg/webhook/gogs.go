package webhook

import (
	"net/http"
)

// gogs reads Gogs and Gitea push events, signed with HMAC-SHA256 (hex, no
// prefix) in X-Gogs-Signature or X-Gitea-Signature.
var gogs = provider{
	name:   "gogs",
	header: []string{"X-Gogs-Event", "X-Gitea-Event"},
	keys:   []string{keyGogs},
	verify: hmacSignature(keyGogs, "X-Gitea-Signature", "X-Gogs-Signature"),
	parse:  parseGogs,
}

// gogsPush is the push event of Gogs and Gitea.
type gogsPush struct {
	Ref        string `json:"ref"`
	Before     string `json:"before"`
	After      string `json:"after"`
	Repository struct {
		HTMLURL       string `json:"html_url"`
		CloneURL      string `json:"clone_url"`
		SSHURL        string `json:"ssh_url"`
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
	Commits []fileChanges `json:"commits"`
}

func parseGogs(header http.Header, body []byte) (events, error) {
	event := header.Get("X-Gitea-Event")
	if event == "" {
		event = header.Get("X-Gogs-Event")
	}
	if event != "push" {
		return events{ignored: "Gogs " + event}, nil
	}
	var payload gogsPush
	if err := decode(body, &payload); err != nil {
		return events{}, err
	}
	repo := payload.Repository
	touchedHead := payload.Ref == "refs/heads/"+repo.DefaultBranch
	push, err := newPush(payload.Ref, payload.Before, payload.After, touchedHead,
		changedFiles(payload.Commits, true), repo.HTMLURL, repo.CloneURL, repo.SSHURL)
	return events{pushes: []Push{push}}, err
}
