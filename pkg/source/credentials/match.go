package credentials

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"capstan.dev/capstan/pkg/source/repourl"
)

// LookupOptions narrows the Secrets that may serve a repository.
type LookupOptions struct {
	// Type, when set, skips Secrets of another type (a Secret without a type
	// is a git Secret).
	Type string
	// Project, when set, also admits Secrets scoped to that AppProject and
	// prefers them over unscoped ones; Secrets scoped to other projects are
	// never used.
	Project string
}

// Find returns the credentials for repoURL among secrets: the repository
// Secret whose url matches exactly (normalized, case-insensitive), with its
// missing credentials filled from the repo-creds template of the longest
// matching URL prefix (same scheme and host, then whole path segments: a
// template for https://git.corp never serves https://git.corp.evil.io); or, without a repository Secret, that template alone.
// found is false when neither matches. Secrets without the Argo CD label are
// ignored; a malformed matching Secret is an error that names it.
func Find(secrets []*corev1.Secret, repoURL string, opts LookupOptions) (creds Credentials, found bool, err error) {
	var repository, template *Credentials
	var templatePrefix, repositoryProject int
	var errs []error
	for _, secret := range secrets {
		kind := secret.Labels[SecretTypeLabel]
		if kind != SecretTypeRepository && kind != SecretTypeRepoCreds {
			continue
		}
		candidate, err := FromSecret(secret)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !admits(candidate, opts) {
			continue
		}
		switch kind {
		case SecretTypeRepository:
			if !repourl.Equal(candidate.URL, repoURL) {
				continue
			}
			// A Secret scoped to the asked project beats an unscoped one.
			score := 1
			if opts.Project != "" && candidate.Project == opts.Project {
				score = 2
			}
			if repository == nil || score > repositoryProject {
				repository, repositoryProject = &candidate, score
			}
		case SecretTypeRepoCreds:
			if !repourl.HasPrefix(repoURL, candidate.URL) {
				continue
			}
			length := len(repourl.Normalize(candidate.URL))
			if template == nil || length > templatePrefix {
				template, templatePrefix = &candidate, length
			}
		}
	}
	switch {
	case repository != nil:
		creds = *repository
		if !creds.HasCredentials() && template != nil {
			creds.copyCredentialsFrom(*template)
		}
		found = true
	case template != nil:
		creds = *template
		creds.URL = repoURL
		found = true
	}
	if !found && len(errs) > 0 {
		return Credentials{}, false, fmt.Errorf("find credentials for %s: %w", repourl.Redact(repoURL), errors.Join(errs...))
	}
	return creds, found, nil
}

// admits applies the type and project filters.
func admits(candidate Credentials, opts LookupOptions) bool {
	if opts.Type != "" && candidate.EffectiveType() != opts.Type {
		return false
	}
	return candidate.Project == "" || candidate.Project == opts.Project
}
