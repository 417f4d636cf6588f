package validation

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
	"unicode"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/source/repourl"
)

// maxDescriptionLength is the longest project or sync window description Argo CD accepts.
const maxDescriptionLength = 255

// roleNamePattern is Argo CD's form of a project role name.
var roleNamePattern = regexp.MustCompile(`^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$`)

// projectScopedResources are the RBAC resources a project role's policies may name.
var projectScopedResources = []string{"applications", "applicationsets", "clusters", "exec", "logs", "repositories"}

// projectRoleActions are the plain actions a project role's policies may name;
// action/..., update/... and delete/... name fine-grained ones.
var projectRoleActions = []string{"*", "create", "delete", "get", "invoke", "override", "rollback", "sync", "update"}

// gpgModes are the modes of GPG source verification.
var gpgModes = []string{"none", "head", "strict"}

// ValidateAppProject checks a new AppProject.
func ValidateAppProject(project *capstan.AppProject) field.ErrorList {
	allErrs := apivalidation.ValidateObjectMeta(&project.ObjectMeta, false, apivalidation.NameIsDNSSubdomain, field.NewPath("metadata"))
	return append(allErrs, validateAppProjectSpec(&project.Spec, project.Name, field.NewPath("spec"))...)
}

// ValidateAppProjectUpdate checks an update of an AppProject; every spec field may change.
func ValidateAppProjectUpdate(newProject, oldProject *capstan.AppProject) field.ErrorList {
	allErrs := apivalidation.ValidateObjectMetaUpdate(&newProject.ObjectMeta, &oldProject.ObjectMeta, field.NewPath("metadata"))
	return append(allErrs, ValidateAppProject(newProject)...)
}

func validateAppProjectSpec(spec *capstan.AppProjectSpec, project string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(spec.Description) > maxDescriptionLength {
		allErrs = append(allErrs, field.TooLong(fldPath.Child("description"), spec.Description, maxDescriptionLength))
	}
	allErrs = append(allErrs, validatePatterns(spec.SourceRepos, true, fldPath.Child("sourceRepos"))...)
	allErrs = append(allErrs, validateSourceRepoPatterns(spec.SourceRepos, fldPath.Child("sourceRepos"))...)
	allErrs = append(allErrs, validateProjectDestinations(spec.Destinations, fldPath.Child("destinations"))...)
	allErrs = append(allErrs, validatePatterns(spec.SourceNamespaces, false, fldPath.Child("sourceNamespaces"))...)
	allErrs = append(allErrs, validateProjectRoles(spec.Roles, project, fldPath.Child("roles"))...)
	allErrs = append(allErrs, validateClusterResources(spec.ClusterResourceWhitelist, fldPath.Child("clusterResourceWhitelist"))...)
	allErrs = append(allErrs, validateClusterResources(spec.ClusterResourceBlacklist, fldPath.Child("clusterResourceBlacklist"))...)
	allErrs = append(allErrs, validateGroupKinds(spec.NamespaceResourceWhitelist, fldPath.Child("namespaceResourceWhitelist"))...)
	allErrs = append(allErrs, validateGroupKinds(spec.NamespaceResourceBlacklist, fldPath.Child("namespaceResourceBlacklist"))...)
	allErrs = append(allErrs, validateSyncWindows(spec.SyncWindows, fldPath.Child("syncWindows"))...)
	for i, key := range spec.SignatureKeys {
		if key.KeyID == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("signatureKeys").Index(i).Child("keyID"), "the GPG key ID in hexadecimal"))
		}
	}
	allErrs = append(allErrs, validateDestinationServiceAccounts(spec.DestinationServiceAccounts, fldPath.Child("destinationServiceAccounts"))...)
	if spec.SourceIntegrity != nil {
		allErrs = append(allErrs, validateSourceIntegrity(spec.SourceIntegrity, fldPath.Child("sourceIntegrity"))...)
	}
	return allErrs
}

// validatePatterns checks a list of distinct glob patterns; with allowDeny a
// leading ! turns a pattern into a denial, but !* (deny everything) is refused.
func validatePatterns(patterns []string, allowDeny bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, pattern := range patterns {
		idxPath := fldPath.Index(i)
		switch {
		case pattern == "":
			allErrs = append(allErrs, field.Invalid(idxPath, pattern, "must be a glob pattern"))
		case seen[pattern]:
			allErrs = append(allErrs, field.Duplicate(idxPath, pattern))
		default:
			allErrs = append(allErrs, validatePattern(pattern, allowDeny, idxPath)...)
		}
		seen[pattern] = true
	}
	return allErrs
}

// validateSourceRepoPatterns refuses sourceRepos patterns with a fragment,
// which no valid repoURL has, or a password, which would be shown to everyone
// who can read the project.
func validateSourceRepoPatterns(patterns []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, pattern := range patterns {
		if err := repourl.CheckPattern(pattern); err != nil {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), repourl.Redact(pattern), err.Error()))
		}
	}
	return allErrs
}

// validatePattern checks the syntax of one glob pattern.
func validatePattern(pattern string, allowDeny bool, fldPath *field.Path) field.ErrorList {
	glob := pattern
	if allowDeny {
		if pattern == "!*" {
			return field.ErrorList{field.Invalid(fldPath, pattern, "denies everything, which leaves nothing to allow; remove the entry instead")}
		}
		glob = strings.TrimPrefix(pattern, "!")
	}
	if _, err := path.Match(glob, ""); err != nil {
		return field.ErrorList{field.Invalid(fldPath, pattern, "must be a valid glob pattern: unbalanced [ ] or a trailing \\")}
	}
	return nil
}

// validateProjectDestinations checks destination patterns and that each
// (server or name, namespace) pair appears once.
func validateProjectDestinations(dests []capstan.ApplicationDestination, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, dest := range dests {
		idxPath := fldPath.Index(i)
		if dest.Server == "" && dest.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("server"), "one of server or name (glob patterns) is required"))
		}
		for _, f := range []struct{ name, value string }{{"server", dest.Server}, {"name", dest.Name}, {"namespace", dest.Namespace}} {
			if f.value != "" {
				allErrs = append(allErrs, validatePattern(f.value, true, idxPath.Child(f.name))...)
			}
		}
		key := dest.Server + "/" + dest.Namespace
		if dest.Server == "" {
			key = dest.Name + "/" + dest.Namespace
		}
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(idxPath, key))
		}
		seen[key] = true
	}
	return allErrs
}

// validateProjectRoles checks role names, policies and groups.
func validateProjectRoles(roles []capstan.ProjectRole, project string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := map[string]bool{}
	for i := range roles {
		role, idxPath := &roles[i], fldPath.Index(i)
		switch {
		case !roleNamePattern.MatchString(role.Name):
			allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), role.Name,
				"must consist of letters, digits, '-' and '_', and start and end with a letter or digit"))
		case names[role.Name]:
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), role.Name))
		}
		names[role.Name] = true
		policies := map[string]bool{}
		for j, policy := range role.Policies {
			policyPath := idxPath.Child("policies").Index(j)
			if policies[policy] {
				allErrs = append(allErrs, field.Duplicate(policyPath, policy))
				continue
			}
			policies[policy] = true
			if msg := validatePolicy(project, role.Name, policy); msg != "" {
				allErrs = append(allErrs, field.Invalid(policyPath, policy, msg))
			}
		}
		groups := map[string]bool{}
		for j, group := range role.Groups {
			groupPath := idxPath.Child("groups").Index(j)
			if groups[group] {
				allErrs = append(allErrs, field.Duplicate(groupPath, group))
				continue
			}
			groups[group] = true
			if msg := validateGroupName(group); msg != "" {
				allErrs = append(allErrs, field.Invalid(groupPath, group, msg))
			}
		}
	}
	return allErrs
}

// validatePolicy returns why policy is not a valid project role policy line,
// p, proj:<project>:<role>, <resource>, <action>, <project>[/<namespace>]/<object>, allow|deny,
// or "" when it is valid.
func validatePolicy(project, role, policy string) string {
	parts := strings.Split(policy, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	if len(parts) != 6 || parts[0] != "p" {
		return "must have the form 'p, proj:<project>:<role>, <resource>, <action>, <object>, allow|deny'"
	}
	subject, resource, action, object, effect := parts[1], parts[2], parts[3], parts[4], parts[5]
	if want := fmt.Sprintf("proj:%s:%s", project, role); subject != want {
		return fmt.Sprintf("subject must be %q, not %q", want, subject)
	}
	if !slices.Contains(projectScopedResources, resource) {
		return fmt.Sprintf("resource must be one of %s, not %q", strings.Join(projectScopedResources, ", "), resource)
	}
	if !isProjectRoleAction(action) {
		return fmt.Sprintf("action must be one of %s, or action/..., update/... or delete/..., not %q",
			strings.Join(projectRoleActions, ", "), action)
	}
	if !projectObjectPattern(project).MatchString(object) {
		return fmt.Sprintf("object must be %s/*, %s/<name> or %s/<namespace>/<name>, not %q", project, project, project, object)
	}
	if effect != "allow" && effect != "deny" {
		return fmt.Sprintf("effect must be allow or deny, not %q", effect)
	}
	return ""
}

// isProjectRoleAction reports whether action may appear in a project role policy.
func isProjectRoleAction(action string) bool {
	if slices.Contains(projectRoleActions, action) {
		return true
	}
	for _, prefix := range []string{"action/", "update/", "delete/"} {
		if strings.HasPrefix(action, prefix) {
			return true
		}
	}
	return false
}

// projectObjectPattern matches <project>[/<namespace>]/<name>, each part a name or glob.
func projectObjectPattern(project string) *regexp.Regexp {
	return regexp.MustCompile(`^` + regexp.QuoteMeta(project) + `(/[*\w.-]+)?/[*\w.-]+$`)
}

// validateGroupName returns why an OIDC group bound to a role is unusable in a
// Casbin policy line, or "" when it is usable.
func validateGroupName(group string) string {
	name := strings.TrimSpace(group)
	if len(name) > 1 && strings.HasPrefix(name, `"`) && strings.HasSuffix(name, `"`) {
		name = name[1 : len(name)-1]
	} else if strings.Contains(name, ",") {
		return `must be quoted ("...") when it contains a comma`
	}
	runes := []rune(group)
	switch {
	case name == "":
		return "must not be empty"
	case strings.ContainsAny(name, "\"\n\r\t"):
		return "must not contain quotes, tabs or line breaks"
	case len(runes) > 1 && unicode.IsSpace(runes[0]):
		return "must not start with a space"
	case len(runes) > 1 && unicode.IsSpace(runes[len(runes)-1]):
		return "must not end with a space"
	}
	return ""
}

// validateClusterResources checks group, kind and name patterns of cluster-scoped restrictions.
func validateClusterResources(items []capstan.ClusterResourceRestrictionItem, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, item := range items {
		idxPath := fldPath.Index(i)
		allErrs = append(allErrs, validateGroupKind(item.Group, item.Kind, idxPath)...)
		if item.Name != "" {
			allErrs = append(allErrs, validatePattern(item.Name, false, idxPath.Child("name"))...)
		}
	}
	return allErrs
}

// validateGroupKinds checks group and kind patterns of namespaced restrictions.
func validateGroupKinds(items []metav1.GroupKind, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, item := range items {
		allErrs = append(allErrs, validateGroupKind(item.Group, item.Kind, fldPath.Index(i))...)
	}
	return allErrs
}

// validateGroupKind requires a kind and checks group and kind patterns; an empty
// group is the core group.
func validateGroupKind(group, kind string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if group != "" {
		allErrs = append(allErrs, validatePattern(group, false, fldPath.Child("group"))...)
	}
	if kind == "" {
		return append(allErrs, field.Required(fldPath.Child("kind"), "a kind or glob pattern such as *"))
	}
	return append(allErrs, validatePattern(kind, false, fldPath.Child("kind"))...)
}

// validateDestinationServiceAccounts checks impersonation entries and that each
// (server, namespace) pair appears once.
func validateDestinationServiceAccounts(accounts []capstan.ApplicationDestinationServiceAccount, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen := map[string]bool{}
	for i, account := range accounts {
		idxPath := fldPath.Index(i)
		if account.Server == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("server"), "a glob pattern of destination server URLs"))
		} else {
			allErrs = append(allErrs, validatePattern(account.Server, true, idxPath.Child("server"))...)
		}
		if account.Namespace != "" {
			allErrs = append(allErrs, validatePattern(account.Namespace, true, idxPath.Child("namespace"))...)
		}
		if account.DefaultServiceAccount == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("defaultServiceAccount"), "the service account syncs impersonate"))
		} else if msg := serviceAccountProblem(account.DefaultServiceAccount); msg != "" {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("defaultServiceAccount"), account.DefaultServiceAccount, msg))
		}
		key := account.Server + "/" + account.Namespace
		if seen[key] {
			allErrs = append(allErrs, field.Duplicate(idxPath, key))
		}
		seen[key] = true
	}
	return allErrs
}

// serviceAccountProblem says why name is not "NAME" or "NAMESPACE:NAME" of a
// ServiceAccount (no patterns: it is the identity syncs act as), or "".
func serviceAccountProblem(name string) string {
	namespace, account, qualified := strings.Cut(name, ":")
	if !qualified {
		namespace, account = "", name
	}
	if qualified && len(apivalidation.ValidateNamespaceName(namespace, false)) > 0 {
		return "must be NAME or NAMESPACE:NAME of a ServiceAccount; the namespace is not a namespace name"
	}
	if len(apivalidation.ValidateServiceAccountName(account, false)) > 0 {
		return "must be NAME or NAMESPACE:NAME of a ServiceAccount, without patterns"
	}
	return ""
}

// validateSourceIntegrity checks that each policy selects repositories and says
// how to verify them.
func validateSourceIntegrity(si *capstan.SourceIntegrity, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if si.Git != nil {
		for i, policy := range si.Git.Policies {
			idxPath := fldPath.Child("git", "policies").Index(i)
			if policy == nil {
				allErrs = append(allErrs, field.Required(idxPath, "a policy with repos and gpg"))
				continue
			}
			allErrs = append(allErrs, validateIntegrityRepos(len(policy.Repos), func(j int) string { return policy.Repos[j].URL }, idxPath.Child("repos"))...)
			if policy.GPG == nil {
				allErrs = append(allErrs, field.Required(idxPath.Child("gpg"), "how commits are verified"))
			} else if !slices.Contains(gpgModes, string(policy.GPG.Mode)) {
				allErrs = append(allErrs, field.NotSupported(idxPath.Child("gpg", "mode"), policy.GPG.Mode, gpgModes))
			}
		}
	}
	if si.Helm != nil {
		for i, policy := range si.Helm.Policies {
			idxPath := fldPath.Child("helm", "policies").Index(i)
			if policy == nil {
				allErrs = append(allErrs, field.Required(idxPath, "a policy with repos and provenance"))
				continue
			}
			allErrs = append(allErrs, validateIntegrityRepos(len(policy.Repos), func(j int) string { return policy.Repos[j].URL }, idxPath.Child("repos"))...)
			if policy.Provenance == nil {
				allErrs = append(allErrs, field.Required(idxPath.Child("provenance"), "the keys charts must be signed with"))
			}
		}
	}
	return allErrs
}

// validateIntegrityRepos requires at least one repository URL pattern.
func validateIntegrityRepos(count int, urlAt func(int) string, fldPath *field.Path) field.ErrorList {
	if count == 0 {
		return field.ErrorList{field.Required(fldPath, "at least one repository URL pattern")}
	}
	var allErrs field.ErrorList
	for j := 0; j < count; j++ {
		if urlAt(j) == "" {
			allErrs = append(allErrs, field.Required(fldPath.Index(j).Child("url"), "a glob pattern of repository URLs"))
		}
	}
	return allErrs
}
