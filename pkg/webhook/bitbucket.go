package webhook

import (
	"net/http"
	"strings"
)

// bitbucketCloud reads Bitbucket Cloud repo:push events, authenticated by
// the webhook's UUID in X-Hook-UUID.
var bitbucketCloud = provider{
	name:   "bitbucket",
	header: []string{"X-Hook-UUID"},
	keys:   []string{keyBitbucketUUID},
	verify: func(header http.Header, _ []byte, keys Keys) bool {
		return equalSecret(canonicalUUID(header.Get("X-Hook-UUID")), []byte(canonicalUUID(string(keys[keyBitbucketUUID]))))
	},
	parse: parseBitbucketCloud,
}

// canonicalUUID drops the braces Bitbucket shows around UUIDs, and case.
func canonicalUUID(uuid string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(uuid), "{}"))
}

// bitbucketRef is the old or new state of a ref in a Bitbucket Cloud push.
type bitbucketRef struct {
	Type   string `json:"type"`
	Name   string `json:"name"`
	Target struct {
		Hash string `json:"hash"`
	} `json:"target"`
}

// fullName is the ref's full name: branches and tags only.
func (r *bitbucketRef) fullName() string {
	switch r.Type {
	case "branch", "named_branch":
		return "refs/heads/" + r.Name
	case "tag", "annotated_tag":
		return "refs/tags/" + r.Name
	}
	return ""
}

// bitbucketCloudPush is Bitbucket Cloud's repo:push event.
type bitbucketCloudPush struct {
	Push struct {
		Changes []struct {
			Old *bitbucketRef `json:"old"`
			New *bitbucketRef `json:"new"`
		} `json:"changes"`
	} `json:"push"`
	Repository struct {
		Links struct {
			HTML struct {
				Href string `json:"href"`
			} `json:"html"`
		} `json:"links"`
		MainBranch *struct {
			Name string `json:"name"`
		} `json:"mainbranch"`
	} `json:"repository"`
}

func parseBitbucketCloud(header http.Header, body []byte) (events, error) {
	if event := header.Get("X-Event-Key"); event != "repo:push" {
		return events{ignored: "Bitbucket " + event}, nil
	}
	var payload bitbucketCloudPush
	if err := decode(body, &payload); err != nil {
		return events{}, err
	}
	var pushes []Push
	for _, change := range payload.Push.Changes {
		ref, before, after := change.New, "", ""
		if change.Old != nil {
			before = change.Old.Target.Hash
		}
		if ref != nil {
			after = ref.Target.Hash
		} else {
			ref = change.Old
		}
		if ref == nil {
			return events{}, malformed("a change has neither an old nor a new ref")
		}
		name := ref.fullName()
		// Without the main branch in the payload, any branch may be it (as Argo CD assumes).
		touchedHead := strings.HasPrefix(name, "refs/heads/")
		if main := payload.Repository.MainBranch; main != nil && main.Name != "" {
			touchedHead = name == "refs/heads/"+main.Name
		}
		// The payload lists no files; Argo CD's extra API call for them is not made.
		push, err := newPush(name, before, after, touchedHead, nil, payload.Repository.Links.HTML.Href)
		if err != nil {
			return events{}, err
		}
		pushes = append(pushes, push)
	}
	if len(pushes) == 0 {
		return events{}, malformed("repo:push without changes")
	}
	return events{pushes: pushes}, nil
}

// bitbucketServer reads Bitbucket Server (Data Center) repo:refs_changed
// events, signed with HMAC-SHA256 in X-Hub-Signature.
var bitbucketServer = provider{
	name:   "bitbucketserver",
	header: []string{"X-Event-Key"},
	keys:   []string{keyBitbucketServer},
	verify: hmacSignature(keyBitbucketServer, "X-Hub-Signature"),
	parse:  parseBitbucketServer,
}

// bitbucketServerPush is Bitbucket Server's repo:refs_changed event.
type bitbucketServerPush struct {
	Repository struct {
		Links struct {
			Clone []struct {
				Href string `json:"href"`
			} `json:"clone"`
		} `json:"links"`
	} `json:"repository"`
	Changes []struct {
		Ref struct {
			ID   string `json:"id"`
			Type string `json:"type"`
		} `json:"ref"`
		FromHash string `json:"fromHash"`
		ToHash   string `json:"toHash"`
	} `json:"changes"`
}

func parseBitbucketServer(header http.Header, body []byte) (events, error) {
	if event := header.Get("X-Event-Key"); event != "repo:refs_changed" {
		return events{ignored: "Bitbucket Server " + event}, nil
	}
	var payload bitbucketServerPush
	if err := decode(body, &payload); err != nil {
		return events{}, err
	}
	var urls []string
	for _, link := range payload.Repository.Links.Clone {
		urls = append(urls, link.Href)
	}
	var pushes []Push
	for _, change := range payload.Changes {
		// The payload does not name the default branch: any branch may be it (as Argo CD assumes).
		touchedHead := strings.HasPrefix(change.Ref.ID, "refs/heads/")
		push, err := newPush(change.Ref.ID, change.FromHash, change.ToHash, touchedHead, nil, urls...)
		if err != nil {
			return events{}, err
		}
		pushes = append(pushes, push)
	}
	if len(pushes) == 0 {
		return events{}, malformed("repo:refs_changed without changes")
	}
	return events{pushes: pushes}, nil
}
