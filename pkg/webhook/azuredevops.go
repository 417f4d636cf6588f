package webhook

import (
	"net/http"
)

// azureDevOps reads Azure DevOps git.push service hook events,
// authenticated with HTTP basic auth.
var azureDevOps = provider{
	name:   "azuredevops",
	header: []string{"X-Vss-ActivityId"},
	keys:   []string{keyAzureDevOpsUser, keyAzureDevOpsPasswd},
	verify: func(header http.Header, _ []byte, keys Keys) bool {
		request := http.Request{Header: header}
		username, password, ok := request.BasicAuth()
		// Both are compared, so that the time taken does not tell which one is wrong.
		userOK := equalSecret(username, keys[keyAzureDevOpsUser])
		passwordOK := equalSecret(password, keys[keyAzureDevOpsPasswd])
		return ok && userOK && passwordOK
	},
	parse: parseAzureDevOps,
}

// azureDevOpsEvent is an Azure DevOps service hook event.
type azureDevOpsEvent struct {
	EventType string `json:"eventType"`
	Resource  struct {
		RefUpdates []struct {
			Name        string `json:"name"`
			OldObjectID string `json:"oldObjectId"`
			NewObjectID string `json:"newObjectId"`
		} `json:"refUpdates"`
		Repository struct {
			RemoteURL     string `json:"remoteUrl"`
			SSHURL        string `json:"sshUrl"`
			DefaultBranch string `json:"defaultBranch"`
		} `json:"repository"`
	} `json:"resource"`
}

func parseAzureDevOps(_ http.Header, body []byte) (events, error) {
	var payload azureDevOpsEvent
	if err := decode(body, &payload); err != nil {
		return events{}, err
	}
	if payload.EventType != "git.push" {
		return events{ignored: "Azure DevOps " + payload.EventType}, nil
	}
	repo := payload.Resource.Repository
	var pushes []Push
	for _, update := range payload.Resource.RefUpdates {
		// Azure DevOps lists no changed files: every Application reading the ref is refreshed.
		push, err := newPush(update.Name, update.OldObjectID, update.NewObjectID,
			update.Name == repo.DefaultBranch, nil, repo.RemoteURL, repo.SSHURL)
		if err != nil {
			return events{}, err
		}
		pushes = append(pushes, push)
	}
	if len(pushes) == 0 {
		return events{}, malformed("git.push without refUpdates")
	}
	return events{pushes: pushes}, nil
}
