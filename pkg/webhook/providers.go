package webhook

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// provider is one kind of Git host: how its requests are recognised,
// verified and read.
type provider struct {
	// name is the provider's name in logs and metrics.
	name string
	// header is the request header whose presence identifies the provider.
	header []string
	// keys are the SecretName keys that configure it.
	keys []string
	// verify checks the request's signature or secret with the keys.
	verify func(header http.Header, body []byte, keys Keys) bool
	// parse reads the events of a verified request; an event kind the
	// receiver does not act on gives no events and no error.
	parse func(header http.Header, body []byte) (events, error)
}

// events are what one request reports.
type events struct {
	pushes       []Push
	pullRequests []PullRequest
	// ignored names the event kind when the request reports nothing to act on.
	ignored string
}

// providers are tried in Argo CD's order: Gitea sends Gogs's and GitHub's
// headers and is read as Gogs; Bitbucket Cloud sends X-Event-Key like
// Bitbucket Server, but also X-Hook-UUID.
var providers = []provider{azureDevOps, gogs, github, gitlab, bitbucketCloud, bitbucketServer}

// detectProvider returns the provider whose identifying header the request
// carries.
func detectProvider(header http.Header) (*provider, bool) {
	for i := range providers {
		for _, name := range providers[i].header {
			if header.Get(name) != "" {
				return &providers[i], true
			}
		}
	}
	return nil, false
}

// errMalformed marks a payload that cannot be read: answered 400.
var errMalformed = errors.New("malformed payload")

// malformed wraps a reason in errMalformed.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errMalformed, fmt.Sprintf(format, args...))
}

// decode reads a JSON payload; it never quotes the payload in its error.
func decode(body []byte, into any) error {
	if err := json.Unmarshal(body, into); err != nil {
		var syntax *json.SyntaxError
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return malformed("not JSON (at byte %d)", syntax.Offset)
		case errors.As(err, &typeErr):
			return malformed("field %s has the wrong type", typeErr.Field)
		}
		return malformed("not a JSON object")
	}
	return nil
}

var (
	shaPattern = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	zeroSHA    = regexp.MustCompile(`^0+$`)
	refPattern = regexp.MustCompile(`^refs/(heads|tags)/[^\x00-\x20~^:?*\[\\]{1,250}$`)
)

// maxURLLength bounds a repository URL read from a payload.
const maxURLLength = 2048

// commit reads a commit SHA of a payload: "" for none (all zeros: a created
// or deleted ref).
func commit(field, value string) (string, error) {
	value = strings.ToLower(strings.TrimSpace(value))
	if value == "" || zeroSHA.MatchString(value) {
		return "", nil
	}
	if !shaPattern.MatchString(value) {
		return "", malformed("%s is not a commit SHA", field)
	}
	return value, nil
}

// newPush checks and builds a Push; ref is a full ref name.
func newPush(ref, before, after string, touchedHead bool, changed []string, urls ...string) (Push, error) {
	if !refPattern.MatchString(ref) || strings.Contains(ref, "..") {
		return Push{}, malformed("ref is not a branch or tag (refs/heads/NAME or refs/tags/NAME)")
	}
	push := Push{Ref: ref, TouchedHead: touchedHead, ChangedFiles: changed}
	var err error
	if push.Before, err = commit("before", before); err != nil {
		return Push{}, err
	}
	if push.After, err = commit("after", after); err != nil {
		return Push{}, err
	}
	if push.RepoURLs, err = repoURLs(urls); err != nil {
		return Push{}, err
	}
	return push, nil
}

// repoURLs keeps the non-empty URLs and requires one.
func repoURLs(urls []string) ([]string, error) {
	var kept []string
	for _, url := range urls {
		url = strings.TrimSpace(url)
		if url == "" {
			continue
		}
		if len(url) > maxURLLength {
			return nil, malformed("repository URL is longer than %d bytes", maxURLLength)
		}
		kept = append(kept, url)
	}
	if len(kept) == 0 {
		return nil, malformed("no repository URL")
	}
	return kept, nil
}

// fileChanges are the file lists of one commit in GitHub's, GitLab's and
// Gogs's payloads.
type fileChanges struct {
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	Modified []string `json:"modified"`
}

// changedFiles collects the files the commits changed, each once; nil when
// the list is incomplete.
func changedFiles(commits []fileChanges, complete bool) []string {
	if !complete {
		return nil
	}
	seen := map[string]bool{}
	files := []string{}
	for _, c := range commits {
		for _, list := range [][]string{c.Added, c.Removed, c.Modified} {
			for _, file := range list {
				if !seen[file] {
					seen[file] = true
					files = append(files, file)
				}
			}
		}
	}
	return files
}

// hmacSignature verifies a hex HMAC-SHA256 signature in one of headers,
// optionally prefixed "sha256=", with the key named.
func hmacSignature(key string, headers ...string) func(http.Header, []byte, Keys) bool {
	return func(header http.Header, body []byte, keys Keys) bool {
		for _, name := range headers {
			if signature := header.Get(name); signature != "" {
				return validHMAC(keys[key], body, strings.TrimPrefix(signature, signaturePrefixSHA256))
			}
		}
		return false
	}
}
