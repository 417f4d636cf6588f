// Package source holds what Capstan needs to get an Application's source at a
// revision: Git repositories (package git), Helm chart repositories and OCI
// registries (package helmrepo), and the credentials to reach them, read from
// Argo CD repository Secrets (package credentials).
//
// The packages are engine libraries: they take what they need as arguments and
// know nothing about the API server, the registry or the controllers.
package source
