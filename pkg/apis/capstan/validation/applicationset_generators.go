package validation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	"capstan.dev/capstan/pkg/apis/capstan"
)

// generatorEntry is one generator entry at any nesting level: top level
// (typed matrix and merge), inside a matrix or merge (matrix and merge as raw
// JSON), or inside a nested matrix or merge (no matrix or merge at all).
type generatorEntry struct {
	list                    *capstan.ListGenerator
	clusters                *capstan.ClusterGenerator
	git                     *capstan.GitGenerator
	scmProvider             *capstan.SCMProviderGenerator
	clusterDecisionResource *capstan.DuckTypeGenerator
	pullRequest             *capstan.PullRequestGenerator
	plugin                  *capstan.PluginGenerator
	matrix                  *capstan.MatrixGenerator
	merge                   *capstan.MergeGenerator
	nestedMatrix            *runtime.RawExtension
	nestedMerge             *runtime.RawExtension
}

func topLevelGenerator(g *capstan.ApplicationSetGenerator) generatorEntry {
	return generatorEntry{
		list: g.List, clusters: g.Clusters, git: g.Git, scmProvider: g.SCMProvider,
		clusterDecisionResource: g.ClusterDecisionResource, pullRequest: g.PullRequest, plugin: g.Plugin,
		matrix: g.Matrix, merge: g.Merge,
	}
}

func nestedGenerator(g *capstan.ApplicationSetNestedGenerator) generatorEntry {
	return generatorEntry{
		list: g.List, clusters: g.Clusters, git: g.Git, scmProvider: g.SCMProvider,
		clusterDecisionResource: g.ClusterDecisionResource, pullRequest: g.PullRequest, plugin: g.Plugin,
		nestedMatrix: g.Matrix, nestedMerge: g.Merge,
	}
}

func terminalGenerator(g *capstan.ApplicationSetTerminalGenerator) generatorEntry {
	return generatorEntry{
		list: g.List, clusters: g.Clusters, git: g.Git, scmProvider: g.SCMProvider,
		clusterDecisionResource: g.ClusterDecisionResource, pullRequest: g.PullRequest, plugin: g.Plugin,
	}
}

// setFields names the generators set in the entry, by JSON name, in schema order.
func (g generatorEntry) setFields() []string {
	var names []string
	add := func(set bool, name string) {
		if set {
			names = append(names, name)
		}
	}
	add(g.list != nil, "list")
	add(g.clusters != nil, "clusters")
	add(g.git != nil, "git")
	add(g.scmProvider != nil, "scmProvider")
	add(g.clusterDecisionResource != nil, "clusterDecisionResource")
	add(g.pullRequest != nil, "pullRequest")
	add(g.matrix != nil || g.nestedMatrix != nil, "matrix")
	add(g.merge != nil || g.nestedMerge != nil, "merge")
	add(g.plugin != nil, "plugin")
	return names
}

// validateGenerator checks that exactly one generator is set in the entry and
// validates every generator that is.
func validateGenerator(g generatorEntry, fldPath *field.Path) field.ErrorList {
	allErrs := validateGeneratorChoice(g.setFields(), fldPath, "generator")
	if g.list != nil {
		allErrs = append(allErrs, validateListGenerator(g.list, fldPath.Child("list"))...)
	}
	if g.git != nil {
		allErrs = append(allErrs, validateGitGenerator(g.git, fldPath.Child("git"))...)
	}
	if g.scmProvider != nil {
		allErrs = append(allErrs, validateGeneratorChoice(scmProviders(g.scmProvider), fldPath.Child("scmProvider"), "SCM provider")...)
		if g.scmProvider.AWSCodeCommit != nil {
			allErrs = append(allErrs, validateAWSCodeCommit(g.scmProvider.AWSCodeCommit, fldPath.Child("scmProvider", "awsCodeCommit"))...)
		}
	}
	if g.clusterDecisionResource != nil && g.clusterDecisionResource.ConfigMapRef == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("clusterDecisionResource", "configMapRef"), ""))
	}
	if g.pullRequest != nil {
		allErrs = append(allErrs, validateGeneratorChoice(pullRequestProviders(g.pullRequest), fldPath.Child("pullRequest"), "pull request provider")...)
	}
	if g.plugin != nil && g.plugin.ConfigMapRef.Name == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("plugin", "configMapRef", "name"), ""))
	}
	if g.matrix != nil {
		allErrs = append(allErrs, validateMatrixChildren(len(g.matrix.Generators), fldPath.Child("matrix", "generators"))...)
		allErrs = append(allErrs, validateNestedGenerators(g.matrix.Generators, fldPath.Child("matrix", "generators"))...)
	}
	if g.merge != nil {
		allErrs = append(allErrs, validateMergeShape(len(g.merge.Generators), g.merge.MergeKeys, fldPath.Child("merge"))...)
		allErrs = append(allErrs, validateNestedGenerators(g.merge.Generators, fldPath.Child("merge", "generators"))...)
	}
	if g.nestedMatrix != nil {
		allErrs = append(allErrs, validateNestedMatrix(g.nestedMatrix, fldPath.Child("matrix"))...)
	}
	if g.nestedMerge != nil {
		allErrs = append(allErrs, validateNestedMerge(g.nestedMerge, fldPath.Child("merge"))...)
	}
	return allErrs
}

// validateGeneratorChoice reports an entry that sets none of its alternatives, or more than one.
func validateGeneratorChoice(set []string, fldPath *field.Path, what string) field.ErrorList {
	if len(set) == 0 {
		return field.ErrorList{field.Required(fldPath, fmt.Sprintf("exactly one %s must be set", what))}
	}
	var allErrs field.ErrorList
	for _, extra := range set[1:] {
		allErrs = append(allErrs, field.Forbidden(fldPath.Child(extra),
			fmt.Sprintf("may not be set together with %s: an entry holds exactly one %s", set[0], what)))
	}
	return allErrs
}

func scmProviders(g *capstan.SCMProviderGenerator) []string {
	var names []string
	for _, p := range []struct {
		set  bool
		name string
	}{
		{g.Github != nil, "github"},
		{g.Gitlab != nil, "gitlab"},
		{g.Gitea != nil, "gitea"},
		{g.Bitbucket != nil, "bitbucket"},
		{g.BitbucketServer != nil, "bitbucketServer"},
		{g.AzureDevOps != nil, "azureDevOps"},
		{g.AWSCodeCommit != nil, "awsCodeCommit"},
	} {
		if p.set {
			names = append(names, p.name)
		}
	}
	return names
}

func pullRequestProviders(g *capstan.PullRequestGenerator) []string {
	var names []string
	for _, p := range []struct {
		set  bool
		name string
	}{
		{g.Github != nil, "github"},
		{g.Gitlab != nil, "gitlab"},
		{g.Gitea != nil, "gitea"},
		{g.Bitbucket != nil, "bitbucket"},
		{g.BitbucketServer != nil, "bitbucketServer"},
		{g.AzureDevOps != nil, "azuredevops"},
	} {
		if p.set {
			names = append(names, p.name)
		}
	}
	return names
}

func validateListGenerator(list *capstan.ListGenerator, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, element := range list.Elements {
		if element.Object != nil {
			continue
		}
		raw := bytes.TrimSpace(element.Raw)
		if len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("elements").Index(i), string(element.Raw), "must be a JSON object"))
		}
	}
	return allErrs
}

func validateGitGenerator(git *capstan.GitGenerator, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if git.RepoURL == "" {
		allErrs = append(allErrs, field.Required(fldPath.Child("repoURL"), ""))
	}
	allErrs = append(allErrs, validateTemplatedRepoURL(git.RepoURL, fldPath.Child("repoURL"))...)
	if len(git.Directories) == 0 && len(git.Files) == 0 {
		allErrs = append(allErrs, field.Required(fldPath, "directories or files must be set"))
	}
	return allErrs
}

// validateMatrixChildren checks that a matrix combines exactly two generators.
func validateMatrixChildren(n int, fldPath *field.Path) field.ErrorList {
	switch {
	case n < 2:
		return field.ErrorList{field.TooFew(fldPath, n, 2)}
	case n > 2:
		return field.ErrorList{field.TooMany(fldPath, n, 2)}
	}
	return nil
}

// validateMergeShape checks that a merge has a base and at least one override
// generator, and keys to merge on.
func validateMergeShape(n int, mergeKeys []string, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if n < 2 {
		allErrs = append(allErrs, field.TooFew(fldPath.Child("generators"), n, 2))
	}
	if len(mergeKeys) == 0 {
		allErrs = append(allErrs, field.Required(fldPath.Child("mergeKeys"), "at least one merge key is required"))
	}
	return allErrs
}

func validateNestedGenerators(generators []capstan.ApplicationSetNestedGenerator, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range generators {
		allErrs = append(allErrs, validateGenerator(nestedGenerator(&generators[i]), fldPath.Index(i))...)
	}
	return allErrs
}

func validateTerminalGenerators(generators []capstan.ApplicationSetTerminalGenerator, skip map[int]bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i := range generators {
		if !skip[i] {
			allErrs = append(allErrs, validateGenerator(terminalGenerator(&generators[i]), fldPath.Index(i))...)
		}
	}
	return allErrs
}

func validateNestedMatrix(raw *runtime.RawExtension, fldPath *field.Path) field.ErrorList {
	var matrix capstan.NestedMatrixGenerator
	allErrs, tooDeep, ok := decodeNestedGenerator(raw, &matrix, fldPath)
	if !ok {
		return allErrs
	}
	allErrs = append(allErrs, validateMatrixChildren(len(matrix.Generators), fldPath.Child("generators"))...)
	return append(allErrs, validateTerminalGenerators(matrix.Generators, tooDeep, fldPath.Child("generators"))...)
}

func validateNestedMerge(raw *runtime.RawExtension, fldPath *field.Path) field.ErrorList {
	var merge capstan.NestedMergeGenerator
	allErrs, tooDeep, ok := decodeNestedGenerator(raw, &merge, fldPath)
	if !ok {
		return allErrs
	}
	allErrs = append(allErrs, validateMergeShape(len(merge.Generators), merge.MergeKeys, fldPath)...)
	return append(allErrs, validateTerminalGenerators(merge.Generators, tooDeep, fldPath.Child("generators"))...)
}

// decodeNestedGenerator decodes the raw JSON of a nested matrix or merge into
// into, strictly: unknown and duplicate fields are reported at their path, and a
// matrix or merge one level deeper is refused because Argo CD cannot run it.
// It returns the indexes of the children refused for depth, which need no
// further checks, and false when the JSON could not be decoded at all.
func decodeNestedGenerator(raw *runtime.RawExtension, into any, fldPath *field.Path) (field.ErrorList, map[int]bool, bool) {
	data := raw.Raw
	if len(data) == 0 && raw.Object != nil {
		var err error
		if data, err = json.Marshal(raw.Object); err != nil {
			return field.ErrorList{field.Invalid(fldPath, nil, err.Error())}, nil, false
		}
	}
	var children struct {
		Generators []map[string]json.RawMessage `json:"generators"`
	}
	if err := json.Unmarshal(data, &children); err != nil {
		return field.ErrorList{field.Invalid(fldPath, string(data), `must be a JSON object of the form {"generators": [{...}, ...]}`)}, nil, false
	}
	var allErrs field.ErrorList
	tooDeep := map[int]bool{}
	tooDeepPaths := map[string]bool{}
	for i, child := range children.Generators {
		for _, kind := range []string{"matrix", "merge"} {
			if _, found := child[kind]; found {
				tooDeep[i] = true
				tooDeepPaths[fmt.Sprintf("generators[%d].%s", i, kind)] = true
				allErrs = append(allErrs, field.Forbidden(fldPath.Child("generators").Index(i).Child(kind),
					"matrix and merge generators can be nested at most two levels deep"))
			}
		}
	}
	strictErrs, err := sigsjson.UnmarshalStrict(data, into)
	if err != nil {
		return append(allErrs, field.Invalid(fldPath, string(data), err.Error())), nil, false
	}
	for _, strictErr := range strictErrs {
		fieldErr, isFieldErr := strictErr.(sigsjson.FieldError)
		if !isFieldErr {
			allErrs = append(allErrs, field.Invalid(fldPath, nil, strictErr.Error()))
			continue
		}
		if tooDeepPaths[fieldErr.FieldPath()] {
			continue
		}
		// The decoder reports paths relative to the raw document, such as
		// "generators[0].lst"; appended as one child they print as the full path.
		path := fldPath.Child(fieldErr.FieldPath())
		if strings.HasPrefix(strictErr.Error(), "duplicate field") {
			allErrs = append(allErrs, field.Duplicate(path, nil))
		} else {
			allErrs = append(allErrs, field.Forbidden(path, "unknown field"))
		}
	}
	return allErrs, tooDeep, true
}

// IsAWSRegion tells whether region has the shape of an AWS region name
// (us-east-1, us-gov-west-1, eusc-de-east-1): it becomes an endpoint's host.
func IsAWSRegion(region string) bool { return awsRegion.MatchString(region) }

var awsRegion = regexp.MustCompile(`^[a-z]{2,8}(-[a-z0-9]{1,16})+-[0-9]{1,3}$`)

// validateAWSCodeCommit checks what the AWS SDK would otherwise turn into
// endpoints and requests: a region name, a role ARN, tag keys and the
// credentials Secret's name. Values holding a template (a matrix child's
// parameters) are checked once rendered, by the generator.
func validateAWSCodeCommit(g *capstan.SCMProviderGeneratorAWSCodeCommit, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	templated := func(value string) bool { return strings.Contains(value, "{{") }
	if g.Region != "" && !templated(g.Region) && !IsAWSRegion(g.Region) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("region"), g.Region, "must be an AWS region name such as us-east-1"))
	}
	if g.Role != "" && !templated(g.Role) && !strings.HasPrefix(g.Role, "arn:") {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("role"), g.Role, "must be the ARN of an IAM role (arn:aws:iam::<account>:role/<name>)"))
	}
	if name := g.CredentialsSecretName; name != "" && !templated(name) {
		for _, msg := range validation.IsDNS1123Subdomain(name) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("credentialsSecretName"), name, msg))
		}
	}
	for i, tag := range g.TagFilters {
		if tag.Key == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("tagFilters").Index(i).Child("key"), ""))
		}
	}
	return allErrs
}
