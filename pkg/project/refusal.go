package project

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// Refusal says which rule of an AppProject refuses something, and why, in
// words that read well in a condition, an Event or a 403.
type Refusal struct {
	// Project is the AppProject that refuses.
	Project string
	// Rule is the AppProject field (or server setting) that refuses, such as
	// "sourceNamespaces", "sourceRepos" or "destinations".
	Rule string
	// Message explains the refusal.
	Message string
}

// Error returns the message; a Refusal is an error so that callers can wrap it.
func (r *Refusal) Error() string { return r.Message }

// DefaultControlNamespaces are the namespaces trusted like Argo CD's own by
// default: Capstan's, and argocd so that Argo CD's manifests keep working with
// only their apiVersion changed.
var DefaultControlNamespaces = []string{"capstan-system", "argocd"}

// Policy holds the server-wide settings every project rule reads.
type Policy struct {
	// ControlNamespaces are trusted like Argo CD's own namespace: their
	// Applications and ApplicationSets may use any project, and Kubernetes RBAC
	// on those namespaces is the gate. Elsewhere a project must list the
	// namespace in its sourceNamespaces.
	ControlNamespaces []string
}

// IsControlNamespace tells whether namespace is one of the control namespaces.
func (p Policy) IsControlNamespace(namespace string) bool {
	return slices.Contains(p.ControlNamespaces, namespace)
}

// NamespaceRefusal refuses an Application or ApplicationSet in namespace the
// use of proj unless namespace is a control namespace or matches one of the
// project's sourceNamespaces globs (Argo CD's "apps in any namespace").
func (p Policy) NamespaceRefusal(proj *v1alpha1.AppProject, namespace string) *Refusal {
	if proj == nil || p.IsControlNamespace(namespace) {
		return nil
	}
	for _, pattern := range proj.Spec.SourceNamespaces {
		if GlobMatch(pattern, namespace) {
			return nil
		}
	}
	return &Refusal{Project: proj.Name, Rule: "sourceNamespaces", Message: fmt.Sprintf(
		"namespace %s may not use project %s: its spec.sourceNamespaces do not list the namespace, and it is not a control namespace (%s)",
		namespace, proj.Name, strings.Join(p.ControlNamespaces, ", "))}
}

// ApplicationRefusal is the first rule of proj that refuses app: the
// namespace it lives in, then each source's repository, then its
// destination. Nil when the project accepts it, or when proj is nil.
func (p Policy) ApplicationRefusal(proj *v1alpha1.AppProject, app *v1alpha1.Application) *Refusal {
	if proj == nil {
		return nil
	}
	if refusal := p.NamespaceRefusal(proj, app.Namespace); refusal != nil {
		return refusal
	}
	for _, source := range Sources(app.Spec) {
		if refusal := SourceRefusal(proj, source.RepoURL); refusal != nil {
			return refusal
		}
	}
	return DestinationRefusal(proj, app.Spec.Destination)
}

// Sources returns the sources of an Application spec: spec.sources, or
// spec.source alone.
func Sources(spec v1alpha1.ApplicationSpec) []v1alpha1.ApplicationSource {
	if len(spec.Sources) > 0 {
		return spec.Sources
	}
	if spec.Source != nil {
		return []v1alpha1.ApplicationSource{*spec.Source}
	}
	return nil
}

// SourceRefusal refuses a repository that proj's sourceRepos do not permit, in
// Argo CD's words.
func SourceRefusal(proj *v1alpha1.AppProject, repoURL string) *Refusal {
	if proj == nil || SourcePermitted(proj.Spec, repoURL) {
		return nil
	}
	return &Refusal{Project: proj.Name, Rule: "sourceRepos", Message: fmt.Sprintf(
		"application repo %s is not permitted in project '%s'", repoURL, proj.Name)}
}

// DestinationRefusal refuses a destination that proj's destinations do not
// permit, in Argo CD's words.
func DestinationRefusal(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination) *Refusal {
	if proj == nil || DestinationPermitted(proj.Spec, destination) {
		return nil
	}
	server := destination.Server
	if server == "" {
		server = destination.Name
	}
	return &Refusal{Project: proj.Name, Rule: "destinations", Message: fmt.Sprintf(
		"application destination server '%s' and namespace '%s' do not match any of the allowed destinations in project '%s'",
		server, destination.Namespace, proj.Name)}
}

// ResourceRefusal refuses an object an Application of proj would write,
// prune or delete: a kind the project's resource lists do not permit, or a
// namespace its destinations do not permit, in Argo CD's words. Nil when the
// object is permitted, or when proj or obj is nil.
func ResourceRefusal(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination, obj *unstructured.Unstructured, namespaced bool) *Refusal {
	if proj == nil || obj == nil {
		return nil
	}
	gvk := obj.GroupVersionKind()
	if !ResourcePermitted(proj.Spec, gvk.Group, gvk.Kind, obj.GetName(), namespaced) {
		rule := "clusterResourceWhitelist"
		if namespaced {
			rule = "namespaceResourceWhitelist"
		}
		return &Refusal{Project: proj.Name, Rule: rule, Message: fmt.Sprintf(
			"resource %s:%s is not permitted in project %s", gvk.Group, gvk.Kind, proj.Name)}
	}
	if namespaced && obj.GetNamespace() != destination.Namespace {
		elsewhere := destination
		elsewhere.Namespace = obj.GetNamespace()
		if !DestinationPermitted(proj.Spec, elsewhere) {
			return &Refusal{Project: proj.Name, Rule: "destinations", Message: fmt.Sprintf(
				"namespace %s is not permitted in project '%s'", obj.GetNamespace(), proj.Name)}
		}
	}
	return nil
}

// ClusterRefusal refuses a destination cluster proj may not use: a cluster
// Secret scoped to another project (its "project" key), or, when the project
// sets permitOnlyProjectScopedClusters, any cluster not scoped to it (the
// in-cluster destination included). clusterProject is the Secret's project,
// empty for an unscoped cluster; server names the cluster in the message.
func ClusterRefusal(proj *v1alpha1.AppProject, server, clusterProject string) *Refusal {
	if proj == nil {
		return nil
	}
	switch {
	case clusterProject != "" && clusterProject != proj.Name:
		return &Refusal{Project: proj.Name, Rule: "cluster project", Message: fmt.Sprintf(
			"cluster %s is scoped to project %s and may not be used by project %s", server, clusterProject, proj.Name)}
	case clusterProject == "" && proj.Spec.PermitOnlyProjectScopedClusters:
		return &Refusal{Project: proj.Name, Rule: "permitOnlyProjectScopedClusters", Message: fmt.Sprintf(
			"project %s permits only clusters scoped to it, and cluster %s is not", proj.Name, server)}
	}
	return nil
}

// serviceAccountForbiddenChars may not appear in a destinationServiceAccounts
// defaultServiceAccount, as in Argo CD.
const serviceAccountForbiddenChars = "!*[]{}\\/"

// ServiceAccountFor returns the user a sync into destination impersonates,
// "system:serviceaccount:<namespace>:<name>", from the first of proj's
// destinationServiceAccounts whose server and namespace globs match, as Argo
// CD's sync impersonation does. A defaultServiceAccount without a namespace
// lives in the destination namespace (appNamespace when that is empty). An
// error when no entry matches: impersonation never falls back to the
// controller's own identity.
func ServiceAccountFor(proj *v1alpha1.AppProject, destination v1alpha1.ApplicationDestination, server, appNamespace string) (string, error) {
	namespace := destination.Namespace
	if namespace == "" {
		namespace = appNamespace
	}
	if proj != nil {
		for _, item := range proj.Spec.DestinationServiceAccounts {
			if !GlobMatch(item.Server, server) || !GlobMatch(item.Namespace, destination.Namespace) {
				continue
			}
			account := strings.TrimSpace(item.DefaultServiceAccount)
			if account == "" || strings.ContainsAny(account, serviceAccountForbiddenChars) {
				return "", fmt.Errorf("project %s: default service account %q for destination server %s and namespace %s is not a service account name",
					proj.Name, item.DefaultServiceAccount, item.Server, item.Namespace)
			}
			if strings.Contains(account, ":") {
				return "system:serviceaccount:" + account, nil
			}
			return "system:serviceaccount:" + namespace + ":" + account, nil
		}
	}
	projectName := ""
	if proj != nil {
		projectName = proj.Name
	}
	return "", &Refusal{Project: projectName, Rule: "destinationServiceAccounts", Message: fmt.Sprintf(
		"no matching service account found for destination server %s and namespace %s in project %s (spec.destinationServiceAccounts)",
		server, namespace, projectName)}
}

// Templated tells whether a template string holds parameters ("{{ … }}"),
// which only a generator can fill in.
func Templated(value string) bool { return strings.Contains(value, "{{") }

// ApplicationSetRefusal is the first rule of proj that refuses what
// appSet's template says literally: the ApplicationSet's namespace, then the
// repositories and destination that hold no parameters. Templated values are
// checked on every Application the controller generates from them. Nil when
// proj is nil or accepts everything literal.
func (p Policy) ApplicationSetRefusal(proj *v1alpha1.AppProject, appSet *v1alpha1.ApplicationSet) *Refusal {
	if proj == nil {
		return nil
	}
	if refusal := p.NamespaceRefusal(proj, appSet.Namespace); refusal != nil {
		return refusal
	}
	spec := appSet.Spec.Template.Spec
	for _, source := range Sources(spec) {
		if Templated(source.RepoURL) {
			continue
		}
		if refusal := SourceRefusal(proj, source.RepoURL); refusal != nil {
			return refusal
		}
	}
	destination := spec.Destination
	if Templated(destination.Server) || Templated(destination.Name) || Templated(destination.Namespace) {
		return nil
	}
	return DestinationRefusal(proj, destination)
}

// NameOf is the project an Application's spec.project names: the default
// project when it is empty, as in Argo CD.
func NameOf(specProject string) string {
	if specProject == "" {
		return v1alpha1.DefaultAppProjectName
	}
	return specProject
}
