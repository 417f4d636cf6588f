package render

import (
	"os"
	"strings"
)

// buildEnv holds Argo CD's build environment variables for one render.
//
// Argo CD substitutes them (with ${NAME} or $NAME, "$$" escaping a dollar,
// unknown names becoming empty) in exactly these places, and so do we:
//   - Helm: parameter values (--set, --set-string), value file paths and
//     file parameter paths (for $ref/ paths after the source is resolved);
//   - Kustomize: images, commonLabels values, and commonAnnotations values when
//     commonAnnotationsEnvsubst is set;
//   - Jsonnet: extVars and TLAs values.
//
// KUBE_VERSION and KUBE_API_VERSIONS exist in Argo CD only in the environment
// of config management plugins, which Capstan does not run, so they are never
// substituted here.
type buildEnv map[string]string

// newBuildEnv returns the variables Argo CD's repo server sets for req at the
// resolved revision. ARGOCD_APP_NAMESPACE is the destination namespace, as in
// Argo CD.
func newBuildEnv(req *Request) buildEnv {
	return buildEnv{
		"ARGOCD_APP_NAME":                   req.AppName,
		"ARGOCD_APP_NAMESPACE":              req.DestinationNamespace,
		"ARGOCD_APP_PROJECT_NAME":           req.Project,
		"ARGOCD_APP_REVISION":               req.Revision,
		"ARGOCD_APP_REVISION_SHORT":         shortRevision(req.Revision, 7),
		"ARGOCD_APP_REVISION_SHORT_8":       shortRevision(req.Revision, 8),
		"ARGOCD_APP_SOURCE_REPO_URL":        req.Source.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            req.Source.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": req.Source.TargetRevision,
	}
}

// substitute expands $NAME and ${NAME} in s from the environment; "$$" is a
// literal dollar and unknown variables expand to the empty string, as with
// Argo CD's Env.Envsubst.
func (e buildEnv) substitute(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return os.Expand(s, func(name string) string {
		if name == "$" {
			return "$"
		}
		return e[name]
	})
}

// shortRevision cuts a revision to n characters, as Argo CD does for
// ARGOCD_APP_REVISION_SHORT(_8).
func shortRevision(revision string, n int) string {
	if len(revision) > n {
		return revision[:n]
	}
	return revision
}
