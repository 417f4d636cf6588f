// Package refresh holds the annotations that ask the Application controller
// for a refresh, as Argo CD's UI, CLI and webhooks write them, and the push a
// Git webhook saw. The annotations are the one trigger path shared by people,
// the kubectl plugin and the webhook receiver, and the only channel that
// reaches the controller when it runs in another replica.
package refresh

import (
	"regexp"
	"strings"
)

const (
	// Annotation asks for a refresh: "normal" resolves revisions again,
	// "hard" also bypasses the render caches. The controller removes it once
	// the comparison is done.
	Annotation = "argocd.argoproj.io/refresh"
	// Normal and Hard are the values of Annotation.
	Normal = "normal"
	Hard   = "hard"
	// PushAnnotation accompanies Annotation when a Git webhook asked for the
	// refresh: it names the pushed ref and commit ("<ref>@<sha>"), so that the
	// controller lists the repository's refs once per push, not once per
	// Application.
	PushAnnotation = "capstan.dev/refresh-push"
	// ManifestGeneratePathsAnnotation lists, separated by ";", the paths an
	// Application's manifests depend on (relative to the source path, or to
	// the repository root when they start with "/"): a push that changes no
	// file under them does not refresh it (Argo CD's rule).
	ManifestGeneratePathsAnnotation = "argocd.argoproj.io/manifest-generate-paths"
)

// Push is a ref update a Git host reported.
type Push struct {
	// Ref is the full ref name, such as refs/heads/main or refs/tags/v1.
	Ref string
	// Commit is the full SHA the ref points to after the push; empty when
	// the push deleted the ref.
	Commit string
}

// String is the value of PushAnnotation for the push.
func (p Push) String() string { return p.Ref + "@" + p.Commit }

var (
	sha     = regexp.MustCompile(`^([0-9a-f]{40}|[0-9a-f]{64})$`)
	refName = regexp.MustCompile(`^refs/[A-Za-z0-9._/+-]{1,250}$`)
)

// ParsePush reads a PushAnnotation value; ok is false for anything that is
// not a full ref name and a lower-case full SHA (or nothing, for a deletion).
func ParsePush(value string) (Push, bool) {
	at := strings.LastIndex(value, "@")
	if at < 0 {
		return Push{}, false
	}
	push := Push{Ref: value[:at], Commit: value[at+1:]}
	if !refName.MatchString(push.Ref) || strings.Contains(push.Ref, "..") {
		return Push{}, false
	}
	if push.Commit != "" && !sha.MatchString(push.Commit) {
		return Push{}, false
	}
	return push, true
}

// Request is the refresh the annotations of an Application ask for.
type Request struct {
	// Requested is true when Annotation is set.
	Requested bool
	// Hard bypasses every cache: a hard refresh, or a normal one asked by a
	// person (which lists refs again for this Application).
	Hard bool
	// Push is the push a webhook saw, for a normal refresh it asked for: the
	// repository's refs are listed again only if no listing shows it yet.
	Push *Push
}

// FromAnnotations reads the refresh an Application's annotations ask for.
func FromAnnotations(annotations map[string]string) Request {
	value, requested := annotations[Annotation]
	if !requested {
		return Request{}
	}
	request := Request{Requested: true, Hard: true}
	if value == Hard {
		return request
	}
	if push, ok := ParsePush(annotations[PushAnnotation]); ok {
		request.Hard, request.Push = false, &push
	}
	return request
}
