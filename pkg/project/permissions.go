// Package project applies an AppProject's restrictions as Argo CD does: which
// repositories an Application may use, where it may deploy, and which kinds
// of objects it may manage.
package project

import (
	"path/filepath"
	"strings"

	"github.com/gobwas/glob"

	"capstan.dev/capstan/pkg/apis/capstan/v1alpha1"
)

// SourcePermitted tells whether repoURL may be used: some sourceRepos pattern
// allows it and no "!"-prefixed pattern denies it.
func SourcePermitted(spec v1alpha1.AppProjectSpec, repoURL string) bool {
	allowed := false
	for _, pattern := range spec.SourceRepos {
		if deny, negated := strings.CutPrefix(pattern, "!"); negated {
			if GlobMatch(deny, repoURL) {
				return false
			}
			continue
		}
		allowed = allowed || GlobMatch(pattern, repoURL)
	}
	return allowed
}

// DestinationPermitted is Argo CD's destination check: some destination entry
// matches the cluster (server, or name when the destination uses one) and the
// namespace, and no "!" entry excludes them. A "!" pattern matches every value
// it does not exclude.
func DestinationPermitted(spec v1alpha1.AppProjectSpec, destination v1alpha1.ApplicationDestination) bool {
	allowed := false
	for _, item := range spec.Destinations {
		nameMatches := destination.Name != "" && negatableMatch(item.Name, destination.Name)
		serverMatches := destination.Server != "" && negatableMatch(item.Server, destination.Server)
		namespaceMatches := negatableMatch(item.Namespace, destination.Namespace)
		switch {
		case (serverMatches || nameMatches) && namespaceMatches:
			allowed = true
		case !nameMatches && isDeny(item.Name) || !serverMatches && isDeny(item.Server) && namespaceMatches:
			return false
		case !namespaceMatches && isDeny(item.Namespace) && serverMatches:
			return false
		}
	}
	return allowed
}

func isDeny(pattern string) bool { return strings.HasPrefix(pattern, "!") }

// negatableMatch matches pattern, or for "!pattern" every value that pattern
// does not match.
func negatableMatch(pattern, value string) bool {
	if deny, negated := strings.CutPrefix(pattern, "!"); negated {
		return !GlobMatch(deny, value)
	}
	return GlobMatch(pattern, value)
}

// ResourcePermitted is Argo CD's resource check: a namespaced kind is allowed
// unless namespaceResourceWhitelist is set and does not list it, or
// namespaceResourceBlacklist lists it; a cluster-scoped kind only when
// clusterResourceWhitelist lists it (by group, kind and optional name glob) and
// clusterResourceBlacklist does not.
func ResourcePermitted(spec v1alpha1.AppProjectSpec, group, kind, name string, namespaced bool) bool {
	if namespaced {
		whitelisted := spec.NamespaceResourceWhitelist == nil
		for _, item := range spec.NamespaceResourceWhitelist {
			whitelisted = whitelisted || kindMatches(item.Group, item.Kind, "", group, kind, name)
		}
		for _, item := range spec.NamespaceResourceBlacklist {
			if kindMatches(item.Group, item.Kind, "", group, kind, name) {
				return false
			}
		}
		return whitelisted
	}
	whitelisted := false
	for _, item := range spec.ClusterResourceWhitelist {
		whitelisted = whitelisted || kindMatches(item.Group, item.Kind, item.Name, group, kind, name)
	}
	for _, item := range spec.ClusterResourceBlacklist {
		if kindMatches(item.Group, item.Kind, item.Name, group, kind, name) {
			return false
		}
	}
	return whitelisted
}

func kindMatches(groupPattern, kindPattern, namePattern, group, kind, name string) bool {
	groupOK, _ := filepath.Match(groupPattern, group)
	kindOK, _ := filepath.Match(kindPattern, kind)
	return groupOK && kindOK && (namePattern == "" || GlobMatch(namePattern, name))
}

// GlobMatch matches a project pattern as Argo CD's glob.Match does; a bad
// pattern matches nothing.
func GlobMatch(pattern, value string) bool {
	compiled, err := glob.Compile(pattern)
	return err == nil && compiled.Match(value)
}
