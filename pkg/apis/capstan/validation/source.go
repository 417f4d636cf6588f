package validation

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"capstan.dev/capstan/pkg/apis/capstan"
	"capstan.dev/capstan/pkg/source/repourl"
)

// repoURLSchemes are the URL schemes a source repository may use.
var repoURLSchemes = []string{"https", "http", "ssh", "git", "file", "oci"}

// scpLikeURL matches Git's scp-like syntax, user@host:path.
var scpLikeURL = regexp.MustCompile(`^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:.+$`)

// ociRegistryRepo matches a Helm OCI repository written without a scheme,
// registry.example.com[:port]/path, as Argo CD accepts for chart sources.
var ociRegistryRepo = regexp.MustCompile(`^([A-Za-z0-9-]+\.)+[A-Za-z0-9-]+(:[0-9]+)?(/[A-Za-z0-9._~-]+)*/?$|^localhost(:[0-9]+)?(/[A-Za-z0-9._~-]+)*/?$`)

// sourceRefPattern is the form of a multi-source ref, which value files use as $<ref>/path.
var sourceRefPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ValidateApplicationSource checks one source: its repository URL, the choice
// between path and chart, and the options of its (single) rendering tool.
func ValidateApplicationSource(src *capstan.ApplicationSource, fldPath *field.Path) field.ErrorList {
	allErrs := validateRepoURL(src.RepoURL, src.Chart != "", fldPath.Child("repoURL"))
	switch {
	case src.Chart != "" && src.Path != "":
		allErrs = append(allErrs, field.Forbidden(fldPath.Child("path"),
			"may not be set together with chart: path is a directory of a Git repository or OCI artifact, chart a chart of a Helm repository"))
	case src.Chart == "" && src.Path == "" && src.Ref == "" && !strings.HasPrefix(src.RepoURL, "oci://"):
		allErrs = append(allErrs, field.Required(fldPath.Child("path"),
			`path (a directory of the repository, "." for its root) or chart (a Helm chart name) is required`))
	}
	if src.Chart != "" && src.TargetRevision == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("targetRevision"),
			"the chart version (or semver range) is required for a Helm repository source"))
	}
	allErrs = append(allErrs, validateRepoPath(src.Path, fldPath.Child("path"))...)
	allErrs = append(allErrs, validateValueFilePaths(src, fldPath.Child("helm", "valueFiles"))...)
	if src.Ref != "" && !sourceRefPattern.MatchString(src.Ref) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("ref"), src.Ref,
			"must consist of letters, digits, '-' and '_', since value files refer to it as $<ref>/path"))
	}
	return append(allErrs, validateSourceTools(src.Helm, src.Kustomize, src.Directory, src.Plugin, fldPath)...)
}

// ValidateApplicationSources checks the sources of a multi-source Application:
// each source, and that refs and names are unique.
func ValidateApplicationSources(sources capstan.ApplicationSources, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	refs, names := map[string]bool{}, map[string]bool{}
	for i := range sources {
		src, idxPath := &sources[i], fldPath.Index(i)
		allErrs = append(allErrs, ValidateApplicationSource(src, idxPath)...)
		if src.Ref != "" {
			if refs[src.Ref] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("ref"), src.Ref))
			}
			refs[src.Ref] = true
		}
		if src.Name != "" {
			if names[src.Name] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), src.Name))
			}
			names[src.Name] = true
		}
	}
	return allErrs
}

// validateRepoURL accepts URLs with a supported scheme, scp-like Git URLs and,
// for chart sources, Helm OCI repositories written without a scheme; then
// refuses what would make the server be asked for another path or put a
// secret in the object (repourl.Check): a fragment, a password in the
// userinfo, a query, dot segments. Messages show the URL without password.
func validateRepoURL(repoURL string, chart bool, fldPath *field.Path) field.ErrorList {
	if errs := validateRepoURLSyntax(repoURL, chart, fldPath); len(errs) > 0 {
		return errs
	}
	return validateRepoURLParts(repoURL, fldPath)
}

// validateRepoURLParts refuses a repository URL that repourl.Check refuses.
func validateRepoURLParts(repoURL string, fldPath *field.Path) field.ErrorList {
	if err := repourl.Check(repoURL); err != nil {
		return field.ErrorList{field.Invalid(fldPath, repourl.Redact(repoURL), err.Error())}
	}
	return nil
}

// validateRepoURLSyntax checks the form and scheme of a repository URL.
func validateRepoURLSyntax(repoURL string, chart bool, fldPath *field.Path) field.ErrorList {
	shown := repourl.Redact(repoURL)
	if repoURL == "" {
		return field.ErrorList{field.Required(fldPath, "the URL of the Git repository, Helm repository or OCI registry")}
	}
	if strings.TrimSpace(repoURL) != repoURL || strings.ContainsAny(repoURL, " \t\r\n") {
		return field.ErrorList{field.Invalid(fldPath, shown, "must not contain whitespace")}
	}
	scheme, _, hasScheme := strings.Cut(repoURL, "://")
	if !hasScheme {
		if scpLikeURL.MatchString(repoURL) || (chart && ociRegistryRepo.MatchString(repoURL)) {
			return nil
		}
		return field.ErrorList{field.Invalid(fldPath, shown, fmt.Sprintf(
			"must be a URL with one of the schemes %s, or a Git URL of the form user@host:path", strings.Join(repoURLSchemes, ", ")))}
	}
	if !slices.Contains(repoURLSchemes, strings.ToLower(scheme)) {
		return field.ErrorList{field.Invalid(fldPath, shown, fmt.Sprintf(
			"unsupported scheme %q: use one of %s, or a Git URL of the form user@host:path", scheme, strings.Join(repoURLSchemes, ", ")))}
	}
	u, err := url.Parse(repoURL)
	if err != nil {
		// url.Error quotes the URL: say only that it does not parse.
		return field.ErrorList{field.Invalid(fldPath, shown, "must be a valid URL")}
	}
	if u.Host == "" && u.Scheme != "file" {
		return field.ErrorList{field.Invalid(fldPath, shown, "must name a host")}
	}
	if u.Scheme == "file" && u.Path == "" {
		return field.ErrorList{field.Invalid(fldPath, shown, "must name a path")}
	}
	return nil
}

// validateTemplatedRepoURL applies validateRepoURLParts to a repoURL of an
// ApplicationSet that holds no parameter: one with parameters is checked in
// full in the Applications generated from it.
func validateTemplatedRepoURL(repoURL string, fldPath *field.Path) field.ErrorList {
	if strings.Contains(repoURL, "{{") {
		return nil
	}
	return validateRepoURLParts(repoURL, fldPath)
}

// validateRepoPath refuses paths that leave the repository.
func validateRepoPath(p string, fldPath *field.Path) field.ErrorList {
	if p == "" {
		return nil
	}
	if strings.Contains(p, "\x00") || escapesRoot(p) {
		return field.ErrorList{field.Invalid(fldPath, p, "must stay inside the repository")}
	}
	return nil
}

// validateValueFilePaths refuses Helm value files that, relative to the
// source's path, climb out of the repository. Other sources' files
// ($ref/...) and URLs are checked where they are read.
func validateValueFilePaths(src *capstan.ApplicationSource, fldPath *field.Path) field.ErrorList {
	if src.Helm == nil {
		return nil
	}
	var allErrs field.ErrorList
	for i, file := range src.Helm.ValueFiles {
		if strings.HasPrefix(file, "$") || strings.Contains(file, "://") || strings.HasPrefix(file, "/") {
			continue
		}
		if escapesRoot(src.Path + "/" + file) {
			allErrs = append(allErrs, field.Invalid(fldPath.Index(i), file, "must stay inside the repository"))
		}
	}
	return allErrs
}

// escapesRoot reports whether a relative path climbs above its starting directory.
func escapesRoot(p string) bool {
	depth := 0
	for _, part := range strings.Split(strings.ReplaceAll(p, "\\", "/"), "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// validateSourceTools allows at most one rendering tool and checks its options.
func validateSourceTools(helm *capstan.ApplicationSourceHelm, kustomize *capstan.ApplicationSourceKustomize,
	directory *capstan.ApplicationSourceDirectory, plugin *capstan.ApplicationSourcePlugin, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	var set []string
	if helm != nil {
		set = append(set, "helm")
		allErrs = append(allErrs, validateHelm(helm, fldPath.Child("helm"))...)
	}
	if kustomize != nil {
		set = append(set, "kustomize")
		allErrs = append(allErrs, validateKustomize(kustomize, fldPath.Child("kustomize"))...)
	}
	if directory != nil {
		set = append(set, "directory")
		allErrs = append(allErrs, validateDirectory(directory, fldPath.Child("directory"))...)
	}
	if plugin != nil {
		set = append(set, "plugin")
		allErrs = append(allErrs, validatePlugin(plugin, fldPath.Child("plugin"))...)
	}
	for i := 1; i < len(set); i++ {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child(set[i]),
			fmt.Sprintf("may not be set together with %s: a source is rendered by one tool", set[0])))
	}
	return allErrs
}

// validateHelm checks Helm options.
func validateHelm(helm *capstan.ApplicationSourceHelm, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, file := range helm.ValueFiles {
		if strings.TrimSpace(file) == "" {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("valueFiles").Index(i), file, "must name a values file"))
		}
	}
	for i, param := range helm.Parameters {
		if param.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("parameters").Index(i).Child("name"),
				"the dotted path of the value to set, e.g. image.tag"))
		}
	}
	for i, param := range helm.FileParameters {
		idxPath := fldPath.Child("fileParameters").Index(i)
		if param.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), "the dotted path of the value to set"))
		}
		if param.Path == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("path"), "the file whose contents become the value"))
		}
	}
	if helm.ValuesObject != nil {
		raw := bytes.TrimSpace(helm.ValuesObject.Raw)
		if len(raw) > 0 && raw[0] != '{' && !bytes.Equal(raw, []byte("null")) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("valuesObject"), string(raw), "must be an object of Helm values"))
		}
	}
	return allErrs
}

// validateDirectory checks directory and Jsonnet options.
func validateDirectory(dir *capstan.ApplicationSourceDirectory, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	jsonnetPath := fldPath.Child("jsonnet")
	for i, v := range dir.Jsonnet.ExtVars {
		if v.Name == "" {
			allErrs = append(allErrs, field.Required(jsonnetPath.Child("extVars").Index(i).Child("name"), "the external variable's name"))
		}
	}
	for i, v := range dir.Jsonnet.TLAs {
		if v.Name == "" {
			allErrs = append(allErrs, field.Required(jsonnetPath.Child("tlas").Index(i).Child("name"), "the top-level argument's name"))
		}
	}
	return allErrs
}

// validatePlugin checks config management plugin options.
func validatePlugin(plugin *capstan.ApplicationSourcePlugin, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, env := range plugin.Env {
		idxPath := fldPath.Child("env").Index(i)
		if env == nil {
			allErrs = append(allErrs, field.Required(idxPath, "an entry with name and value"))
			continue
		}
		if env.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), "the variable's name, exported as ARGOCD_ENV_<name>"))
		}
	}
	for i, param := range plugin.Parameters {
		if param.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("parameters").Index(i).Child("name"), "the parameter's name"))
		}
	}
	return allErrs
}

// validateSourceHydrator checks the dry source, sync source and staging branch.
func validateSourceHydrator(h *capstan.SourceHydrator, fldPath *field.Path) field.ErrorList {
	dryPath, syncPath := fldPath.Child("drySource"), fldPath.Child("syncSource")
	allErrs := validateRepoURL(h.DrySource.RepoURL, false, dryPath.Child("repoURL"))
	if h.DrySource.TargetRevision == "" {
		allErrs = append(allErrs, field.Required(dryPath.Child("targetRevision"), "the branch, tag or commit to render"))
	}
	allErrs = append(allErrs, validateRepoPath(h.DrySource.Path, dryPath.Child("path"))...)
	allErrs = append(allErrs, validateSourceTools(h.DrySource.Helm, h.DrySource.Kustomize, h.DrySource.Directory, h.DrySource.Plugin, dryPath)...)
	if h.SyncSource.TargetBranch == "" {
		allErrs = append(allErrs, field.Required(syncPath.Child("targetBranch"), "the branch rendered manifests are committed to"))
	}
	if h.SyncSource.Path == "" {
		allErrs = append(allErrs, field.Required(syncPath.Child("path"), "the directory rendered manifests are written to"))
	}
	allErrs = append(allErrs, validateRepoPath(h.SyncSource.Path, syncPath.Child("path"))...)
	if h.SyncSource.RepoURL != "" {
		allErrs = append(allErrs, validateRepoURL(h.SyncSource.RepoURL, false, syncPath.Child("repoURL"))...)
	}
	if h.HydrateTo != nil && h.HydrateTo.TargetBranch == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("hydrateTo", "targetBranch"), "the staging branch rendered manifests are pushed to"))
	}
	return allErrs
}
